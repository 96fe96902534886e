"""The reference side of the chat-template tests: Jinja2 set up as transformers sets it up for
apply_chat_template (a sandbox with trim_blocks and lstrip_blocks, loop controls, its tojson
and raise_exception, {% generation %} rendering its body). Reads a JSON list of cases, each a
template and its variables; prints, per case, the rendered text or the error it raised.

    python3 render_chat_templates.py CASES_JSON
"""
import json
import sys

from jinja2 import nodes
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class Generation(Extension):
    """transformers' AssistantTracker without the tracking: the block renders its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.Scope(body, lineno=lineno)


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception

out = []
for case in json.load(open(sys.argv[1], encoding="utf-8")):
    try:
        out.append({"text": env.from_string(case["template"]).render(**case["variables"])})
    except Exception as e:  # the test compares only that both refused
        out.append({"error": f"{type(e).__name__}: {e}"})
json.dump(out, sys.stdout, ensure_ascii=False)
