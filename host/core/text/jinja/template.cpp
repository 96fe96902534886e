#include "text/jinja/template.h"

#include <algorithm>
#include <cmath>

#include "text/jinja/ast.h"
#include "text/jinja/builtins.h"

namespace longalign::host::jinja {
namespace {

using K = Value::Kind;

// Names in scope: the template's globals and variables at the root; a for loop and a macro
// call open a child, so what they `set` stays inside them, as in Jinja2.
struct Scope {
  std::shared_ptr<Scope> parent;
  std::vector<std::pair<std::string, Value>> vars;

  const Value* find(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent.get())
      for (auto& [k, v] : s->vars)
        if (k == name) return &v;
    return nullptr;
  }
  void set(const std::string& name, Value v) {
    for (auto& [k, old] : vars)
      if (k == name) {
        old = std::move(v);
        return;
      }
    vars.emplace_back(name, std::move(v));
  }
};
using ScopePtr = std::shared_ptr<Scope>;

enum class Flow { Normal, Break, Continue };

// How an expression reads in an error message: `messages[0].content`, `tools`.
std::string describe(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::Name: return e.name;
    case Expr::Kind::Member: return describe(*e.children[0]) + "." + e.name;
    case Expr::Kind::Index: return describe(*e.children[0]) + "[" + e.children[1]->literal.repr() + "]";
    default: return "a value";
  }
}

Value arithmetic(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") return a.str() + b.str();
  if (op == "+") {
    if (a.kind == K::String && b.kind == K::String) return a.s + b.s;
    if (a.kind == K::Array && b.kind == K::Array) {
      Array out = *a.array;
      out.insert(out.end(), b.array->begin(), b.array->end());
      return out;
    }
  }
  if (op == "*" && (a.kind == K::String || b.kind == K::String) && (a.kind == K::Int || b.kind == K::Int)) {
    const std::string& s = a.kind == K::String ? a.s : b.s;
    std::string out;
    for (int64_t n = a.kind == K::Int ? a.i : b.i; n > 0; --n) out += s;
    return out;
  }
  if (!a.is_number() || !b.is_number())
    throw Error("unsupported operand types for " + op + ": '" + a.type_name() + "' and '" + b.type_name() + "'");
  const bool ints = a.kind != K::Float && b.kind != K::Float;
  const int64_t x = a.kind == K::Bool ? a.b : a.i, y = b.kind == K::Bool ? b.b : b.i;
  const double p = a.number(), q = b.number();
  int64_t exact = 0;
  const bool overflow = ints && (op == "+" ? __builtin_add_overflow(x, y, &exact)
                                 : op == "-" ? __builtin_sub_overflow(x, y, &exact)
                                 : op == "*" ? __builtin_mul_overflow(x, y, &exact)
                                             : false);
  if (overflow) throw Error("an integer result beyond 64 bits (Python's integers have no bound; these do)");
  if (op == "+") return ints ? Value(exact) : Value(p + q);
  if (op == "-") return ints ? Value(exact) : Value(p - q);
  if (op == "*") return ints ? Value(exact) : Value(p * q);
  if (op == "/") {
    if (q == 0) throw Error("division by zero");
    return Value(p / q);
  }
  if (op == "//" || op == "%") {
    if (q == 0) throw Error("integer division or modulo by zero");
    if (ints) {
      int64_t d = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) --d, m += y;  // Python floors
      return op == "//" ? Value(d) : Value(m);
    }
    const double d = std::floor(p / q);
    return op == "//" ? Value(d) : Value(p - d * q);
  }
  if (op == "**") {
    if (!ints || y < 0) return Value(std::pow(p, q));
    if (x == 0 || x == 1) return Value(y == 0 ? int64_t{1} : x);
    if (x == -1) return Value(y % 2 ? int64_t{-1} : int64_t{1});
    int64_t power = 1;
    for (int64_t k = 0; k < y; ++k)
      if (__builtin_mul_overflow(power, x, &power)) throw Error("an integer result beyond 64 bits (Python's integers have no bound; these do)");
    return Value(power);
  }
  throw Error("unknown operator " + op);
}

class Renderer {
 public:
  Flow block(const std::vector<Node>& nodes, const ScopePtr& scope, std::string& out) {
    for (const Node& n : nodes) {
      Flow f;
      try {
        f = node(n, scope, out);
      } catch (const Error& e) {
        if (e.line) throw;
        throw Error(e.what(), n.line);
      }
      if (f != Flow::Normal) return f;
    }
    return Flow::Normal;
  }

  Value eval(const Expr& e, const ScopePtr& scope) {
    try {
      return evaluate(e, scope);
    } catch (const Error& err) {
      if (err.line) throw;
      throw Error(err.what(), e.line);
    }
  }

 private:
  Flow node(const Node& n, const ScopePtr& scope, std::string& out) {
    switch (n.kind) {
      case Node::Kind::Text: out += n.text; return Flow::Normal;
      case Node::Kind::Output: out += eval(*n.expr, scope).str(); return Flow::Normal;
      case Node::Kind::If:
        for (size_t b = 0; b < n.conditions.size(); ++b)
          if (!n.conditions[b] || eval(*n.conditions[b], scope).truthy()) return block(n.bodies[b], scope, out);
        return Flow::Normal;
      case Node::Kind::For: return loop(n, scope, out);
      case Node::Kind::Set: assign(n, eval(*n.expr, scope), scope); return Flow::Normal;
      case Node::Kind::SetBlock: {
        std::string captured;
        block(n.bodies[0], scope, captured);
        scope->set(n.targets[0], Value(std::move(captured)));
        return Flow::Normal;
      }
      case Node::Kind::Macro: scope->set(n.targets[0], macro(n, scope)); return Flow::Normal;
      case Node::Kind::Break: return Flow::Break;
      case Node::Kind::Continue: return Flow::Continue;
      case Node::Kind::Block: return block(n.bodies[0], scope, out);
    }
    return Flow::Normal;
  }

  static void bind(const std::vector<std::string>& names, const Value& v, Scope& scope) {
    if (names.size() == 1) {
      scope.set(names[0], v);
      return;
    }
    if (v.kind != K::Array) throw Error("cannot unpack a '" + v.type_name() + "' into " + std::to_string(names.size()) + " names");
    if (v.array->size() != names.size())
      throw Error("expected " + std::to_string(names.size()) + " values to unpack, got " + std::to_string(v.array->size()));
    for (size_t k = 0; k < names.size(); ++k) scope.set(names[k], (*v.array)[k]);
  }

  void assign(const Node& n, Value v, const ScopePtr& scope) {
    if (n.attribute.empty()) {
      bind(n.targets, v, *scope);
      return;
    }
    const Value* target = scope->find(n.targets[0]);
    if (!target || target->kind != K::Object || !target->object->is_namespace)
      throw Error("cannot set '" + n.attribute + "' on '" + n.targets[0] + "': only a namespace() takes attributes");
    target->object->set(n.attribute, std::move(v));
  }

  Flow loop(const Node& n, const ScopePtr& outer, std::string& out) {
    Array items = iterate(eval(*n.expr, outer), "a for loop");
    auto scope = std::make_shared<Scope>();
    scope->parent = outer;
    if (n.condition) {
      Array kept;
      for (const Value& x : items) {
        bind(n.targets, x, *scope);
        if (eval(*n.condition, scope).truthy()) kept.push_back(x);
      }
      items = std::move(kept);
    }
    const size_t count = items.size();
    for (size_t k = 0; k < count; ++k) {
      Object info;
      info.set("index", Value(k + 1));
      info.set("index0", Value(k));
      info.set("revindex", Value(count - k));
      info.set("revindex0", Value(count - k - 1));
      info.set("first", Value(k == 0));
      info.set("last", Value(k + 1 == count));
      info.set("length", Value(count));
      info.set("previtem", k > 0 ? items[k - 1] : Value());
      info.set("nextitem", k + 1 < count ? items[k + 1] : Value());
      scope->set("loop", Value(std::move(info)));
      bind(n.targets, items[k], *scope);
      if (block(n.bodies[0], scope, out) == Flow::Break) break;
    }
    if (count == 0 && n.bodies.size() > 1) block(n.bodies[1], scope, out);
    return Flow::Normal;
  }

  Value macro(const Node& n, const ScopePtr& defined_in) {
    return Value::of([this, &n, defined_in](const Args& args) {
      const size_t params = n.targets.size() - 1;
      if (args.positional.size() > params)
        throw Error("the macro " + n.targets[0] + " takes at most " + std::to_string(params) + " arguments");
      auto scope = std::make_shared<Scope>();
      scope->parent = defined_in;
      for (size_t p = 0; p < params; ++p) {
        Value v = args.get(p, n.targets[p + 1], Value());
        if (!v.defined() && n.defaults[p]) v = eval(*n.defaults[p], scope);
        scope->set(n.targets[p + 1], std::move(v));
      }
      for (auto& [name, v] : args.named)
        if (std::find(n.targets.begin() + 1, n.targets.end(), name) == n.targets.end())
          throw Error("the macro " + n.targets[0] + " takes no argument '" + name + "'");
      std::string out;
      block(n.bodies[0], scope, out);
      return Value(std::move(out));
    });
  }

  Args arguments(const Expr& e, const ScopePtr& scope) {
    Args a;
    for (size_t k = 1; k < e.children.size(); ++k) {
      Value v = eval(*e.children[k], scope);
      if (e.keywords[k - 1].empty()) {
        a.positional.push_back(std::move(v));
      } else {
        a.named.emplace_back(e.keywords[k - 1], std::move(v));
      }
    }
    return a;
  }

  Value defined_operand(const Expr& e, const ScopePtr& scope) {
    Value v = eval(e, scope);
    if (!v.defined()) throw Error("'" + describe(e) + "' is undefined");
    return v;
  }

  Value evaluate(const Expr& e, const ScopePtr& scope) {
    using EK = Expr::Kind;
    switch (e.kind) {
      case EK::Literal: return e.literal;
      case EK::Name: {
        const Value* v = scope->find(e.name);
        return v ? *v : Value();
      }
      case EK::List:
      case EK::Tuple: {
        Array out;
        for (auto& c : e.children) out.push_back(eval(*c, scope));
        return e.kind == EK::Tuple ? Value::tuple_of(std::move(out)) : Value(std::move(out));
      }
      case EK::Dict: {
        Object o;
        for (size_t k = 0; k + 1 < e.children.size(); k += 2) {
          const Value key = eval(*e.children[k], scope);
          if (key.kind != K::String) throw Error("dict keys must be strings here, not " + key.type_name());
          o.set(key.s, eval(*e.children[k + 1], scope));
        }
        return o;
      }
      case EK::Member: return attribute(defined_operand(*e.children[0], scope), e.name);
      case EK::Index: return item(defined_operand(*e.children[0], scope), eval(*e.children[1], scope));
      case EK::Slice: {
        const Value obj = defined_operand(*e.children[0], scope);
        auto part = [&](size_t k) { return e.children[k] ? eval(*e.children[k], scope) : Value(); };
        return slice(obj, part(1), part(2), part(3));
      }
      case EK::Call: {
        const Value callee = eval(*e.children[0], scope);
        if (callee.kind != K::Function) {
          const Expr& c = *e.children[0];
          if (c.kind == EK::Member)
            throw Error("'" + describe(*c.children[0]) + "' has no method '" + c.name + "' (a " + eval(*c.children[0], scope).type_name() +
                        "; the methods implemented: str's strip, lstrip, rstrip, split, startswith, endswith, upper, lower, capitalize, "
                        "replace, find, join; dict's items, keys, values, get)");
          throw Error("'" + describe(c) + "' is " + (callee.defined() ? "not callable" : "undefined"));
        }
        return (*callee.function)(arguments(e, scope));
      }
      case EK::Filter: return (*find_filter(e.name))(eval(*e.children[0], scope), arguments(e, scope));
      case EK::Test: {
        const bool pass = (*find_test(e.name))(eval(*e.children[0], scope), arguments(e, scope));
        return pass != e.negated;
      }
      case EK::Not: return !eval(*e.children[0], scope).truthy();
      case EK::Negate:
      case EK::Plus: {
        const Value v = eval(*e.children[0], scope);
        if (e.kind == EK::Plus && v.is_number()) return v;
        if (v.kind == K::Int) return Value(-v.i);
        if (v.is_number()) return Value(-v.number());
        throw Error("bad operand type for unary " + std::string(e.kind == EK::Negate ? "-" : "+") + ": '" + v.type_name() + "'");
      }
      case EK::And: {
        Value a = eval(*e.children[0], scope);
        return a.truthy() ? eval(*e.children[1], scope) : a;
      }
      case EK::Or: {
        Value a = eval(*e.children[0], scope);
        return a.truthy() ? a : eval(*e.children[1], scope);
      }
      case EK::Conditional:
        if (eval(*e.children[0], scope).truthy()) return eval(*e.children[1], scope);
        return e.children[2] ? eval(*e.children[2], scope) : Value();
      case EK::Binary: {
        const std::string& op = e.name;
        const bool comparison = op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=" || op == "in" || op == "not in";
        if (comparison) return Value(compare(op, eval(*e.children[0], scope), eval(*e.children[1], scope)));
        if (op == "~") return arithmetic(op, eval(*e.children[0], scope), eval(*e.children[1], scope));
        return arithmetic(op, defined_operand(*e.children[0], scope), defined_operand(*e.children[1], scope));
      }
    }
    return Value();
  }
};

}  // namespace

Template::Template(std::string_view source) : program_(std::make_shared<const std::vector<Node>>(parse(source))) {}

std::string Template::render(const Object& variables) const {
  auto root = std::make_shared<Scope>();
  for (auto& [k, v] : globals().items) root->set(k, v);
  for (auto& [k, v] : variables.items) root->set(k, v);
  std::string out;
  Renderer r;
  r.block(*program_, root, out);
  return out;
}

}  // namespace longalign::host::jinja
