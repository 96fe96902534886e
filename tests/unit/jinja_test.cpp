// The chat-template interpreter's refusals: what it does not implement or cannot render fails
// with the reason and the template line, never with approximate text. (What it renders is
// checked against Jinja2 in tests/tokenizers/jinja_reference_test.cpp.)
#include <gtest/gtest.h>

#include "text/jinja/template.h"

namespace longalign::host::jinja {
namespace {

std::string render(const std::string& source, Object variables = {}) { return Template(source).render(variables); }

// The error's message and line, for a template that must fail to parse or render.
std::pair<std::string, int> failure(const std::string& source, Object variables = {}) {
  try {
    render(source, std::move(variables));
  } catch (const Error& e) {
    return {e.what(), e.line};
  }
  ADD_FAILURE() << "rendered: " << source;
  return {"", 0};
}

TEST(Jinja, UnimplementedFiltersTestsAndStatementsAreRefusedNamingTheLineAndWhatExists) {
  auto [what, line] = failure("line one\n{{ x | wordcount }}");
  EXPECT_EQ(line, 2);
  EXPECT_NE(what.find("the filter 'wordcount' is not implemented"), std::string::npos) << what;
  EXPECT_NE(what.find("tojson"), std::string::npos) << "the message lists the filters there are: " << what;

  std::tie(what, line) = failure("{% if x is prime %}{% endif %}");
  EXPECT_NE(what.find("the test 'prime' is not implemented"), std::string::npos) << what;

  std::tie(what, line) = failure("\n\n{% include 'other.jinja' %}");
  EXPECT_EQ(line, 3);
  EXPECT_NE(what.find("the statement 'include' is not implemented"), std::string::npos) << what;

  EXPECT_NE(failure("{{ 1 < x < 3 }}").first.find("chained comparisons"), std::string::npos);
}

TEST(Jinja, MalformedTemplatesAreRefusedWithTheLine) {
  EXPECT_EQ(failure("a\nb {{ x ").second, 2);
  EXPECT_EQ(failure("{% for m in messages %}\n{{ m }}").first, "the template ends inside a block that needs {% endfor %}");
  EXPECT_NE(failure("{{ 'open }}").first.find("a string is not closed"), std::string::npos);
  EXPECT_NE(failure("{% if x %}{% endfor %}").first.find("endfor"), std::string::npos);
}

TEST(Jinja, RenderErrorsNameTheExpressionAndLine) {
  auto [what, line] = failure("ok\n{{ message.content }}");
  EXPECT_EQ(what, "'message' is undefined");
  EXPECT_EQ(line, 2);
  EXPECT_EQ(failure("{{ raise_exception('roles must alternate') }}").first, "the template raised an exception: roles must alternate");
  EXPECT_NE(failure("{{ 'a' + 1 }}").first.find("unsupported operand types for +: 'str' and 'int'"), std::string::npos);
  EXPECT_NE(failure("{{ 'abc'.zfill(5) }}").first.find("has no method 'zfill'"), std::string::npos);
  EXPECT_NE(failure("{% set d = {} %}{% set d.x = 1 %}").first.find("only a namespace() takes attributes"), std::string::npos);
  EXPECT_NE(failure("{{ 2 ** 64 }}").first.find("beyond 64 bits"), std::string::npos);
}

TEST(Jinja, ScopesFollowJinja2LoopsKeepTheirSetsAndNamespacesCarryOut) {
  EXPECT_EQ(render("{% set n = 0 %}{% for i in [1, 2, 3] %}{% set n = n + i %}{{ n }}{% endfor %}/{{ n }}"), "136/0");
  EXPECT_EQ(render("{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"), "6");
  EXPECT_EQ(render("{% if true %}{% set x = 'if keeps it' %}{% endif %}{{ x }}"), "if keeps it");
  EXPECT_EQ(render("{% macro m(a, b='B') %}{{ a }}{{ b }}{{ outer }}{% endmacro %}{% set outer = '!' %}{{ m('A') }}{{ m(b='b', a='a') }}"),
            "AB!ab!");
}

TEST(Jinja, MessagesTheCallerGivesAreReadAsDictsAndTheirKeys) {
  Object message;
  message.set("role", Value("user"));
  message.set("content", Value("  hi  "));
  Object variables;
  variables.set("messages", Value(Array{Value(message)}));
  variables.set("add_generation_prompt", Value(true));
  EXPECT_EQ(render("{% for m in messages %}[{{ m.role }}:{{ m['content'] | trim }}]{% endfor %}{% if add_generation_prompt %}>{% endif %}",
                   variables),
            "[user:hi]>");
  EXPECT_EQ(render("{{ messages[0].tool_calls is defined }} {{ messages[0].get('name', 'none given') }}", variables), "False none given");
}

}  // namespace
}  // namespace longalign::host::jinja
