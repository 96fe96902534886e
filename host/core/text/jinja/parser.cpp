// Tokens into statements and expressions, with Jinja2's precedence: conditional, or, and, not,
// comparisons, + and -, ~, * / // %, **, unary minus, then a primary with its attributes,
// subscripts, calls, filters and tests.
#include <algorithm>

#include "text/jinja/ast.h"
#include "text/jinja/builtins.h"
#include "text/jinja/lexer.h"

namespace longalign::host::jinja {
namespace {

using TK = Token::Kind;

ExprPtr make(Expr::Kind kind, int line, std::string name = "") {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = line;
  e->name = std::move(name);
  return e;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  std::vector<Node> program() {
    std::string end;
    auto body = block({}, &end);
    return body;
  }

 private:
  const Token& peek(size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
  const Token& next() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }
  bool is(TK kind, const std::string& text = "", size_t ahead = 0) const {
    return peek(ahead).kind == kind && (text.empty() || peek(ahead).text == text);
  }
  bool is_symbol(const std::string& s) const { return is(TK::Symbol, s); }
  bool is_name(const std::string& s) const { return is(TK::Name, s); }
  bool accept_symbol(const std::string& s) {
    if (!is_symbol(s)) return false;
    ++i_;
    return true;
  }
  bool accept_name(const std::string& s) {
    if (!is_name(s)) return false;
    ++i_;
    return true;
  }
  [[noreturn]] void fail(const std::string& what) const { throw Error(what, peek().line); }
  std::string describe(const Token& t) const {
    switch (t.kind) {
      case TK::End: return "the end of the template";
      case TK::CloseOutput: return "}}";
      case TK::CloseStatement: return "%}";
      case TK::Text: return "text";
      case TK::String: return "a string";
      default: return "'" + t.text + "'";
    }
  }
  void expect_symbol(const std::string& s) {
    if (!accept_symbol(s)) fail("expected '" + s + "', found " + describe(peek()));
  }
  std::string expect_name() {
    if (!is(TK::Name)) fail("expected a name, found " + describe(peek()));
    return next().text;
  }
  void expect(TK kind, const std::string& what) {
    if (!is(kind)) fail("expected " + what + ", found " + describe(peek()));
    ++i_;
  }

  // Statements up to one of `ends` (a `{% name` whose name is in the list), which is left in
  // *end and consumed with its name; the end of the template ends only the top level.
  std::vector<Node> block(const std::vector<std::string>& ends, std::string* end) {
    std::vector<Node> out;
    while (true) {
      const Token& t = peek();
      if (t.kind == TK::End) {
        if (!ends.empty()) fail("the template ends inside a block that needs {% " + ends.back() + " %}");
        *end = "";
        return out;
      }
      if (t.kind == TK::Text) {
        Node n;
        n.kind = Node::Kind::Text;
        n.line = t.line;
        n.text = next().text;
        out.push_back(std::move(n));
      } else if (t.kind == TK::OpenOutput) {
        ++i_;
        Node n;
        n.kind = Node::Kind::Output;
        n.line = t.line;
        n.expr = expression();
        expect(TK::CloseOutput, "}}");
        out.push_back(std::move(n));
      } else {
        ++i_;
        const std::string word = is(TK::Name) ? peek().text : "";
        if (std::find(ends.begin(), ends.end(), word) != ends.end()) {
          ++i_;
          *end = word;
          return out;
        }
        out.push_back(statement(t.line));
      }
    }
  }

  Node statement(int line) {
    const std::string word = expect_name();
    Node n;
    n.line = line;
    std::string end;
    if (word == "if") {
      n.kind = Node::Kind::If;
      n.conditions.push_back(expression());
      expect(TK::CloseStatement, "%}");
      while (true) {
        n.bodies.push_back(block({"elif", "else", "endif"}, &end));
        if (end == "endif") break;
        if (end == "elif") {
          n.conditions.push_back(expression());
        } else {
          n.conditions.push_back(nullptr);
          expect(TK::CloseStatement, "%}");
          n.bodies.push_back(block({"endif"}, &end));
          break;
        }
        expect(TK::CloseStatement, "%}");
      }
    } else if (word == "for") {
      n.kind = Node::Kind::For;
      n.targets = target_names();
      if (!accept_name("in")) fail("expected 'in' in a for loop, found " + describe(peek()));
      n.expr = or_expr();
      if (accept_name("if")) n.condition = expression();
      if (is_name("recursive")) fail("recursive for loops are not implemented");
      expect(TK::CloseStatement, "%}");
      n.bodies.push_back(block({"else", "endfor"}, &end));
      if (end == "else") {
        expect(TK::CloseStatement, "%}");
        n.bodies.push_back(block({"endfor"}, &end));
      }
    } else if (word == "set") {
      n.targets = target_names();
      if (n.targets.size() == 1 && accept_symbol(".")) n.attribute = expect_name();
      if (accept_symbol("=")) {
        n.kind = Node::Kind::Set;
        n.expr = expression();
      } else {
        if (n.targets.size() != 1 || !n.attribute.empty()) fail("a {% set %} block assigns one name");
        n.kind = Node::Kind::SetBlock;
        expect(TK::CloseStatement, "%}");
        n.bodies.push_back(block({"endset"}, &end));
      }
    } else if (word == "macro") {
      n.kind = Node::Kind::Macro;
      n.targets.push_back(expect_name());
      expect_symbol("(");
      while (!accept_symbol(")")) {
        n.targets.push_back(expect_name());
        n.defaults.push_back(accept_symbol("=") ? expression() : nullptr);
        if (!is_symbol(")")) expect_symbol(",");
      }
      expect(TK::CloseStatement, "%}");
      n.bodies.push_back(block({"endmacro"}, &end));
    } else if (word == "break" || word == "continue") {
      n.kind = word == "break" ? Node::Kind::Break : Node::Kind::Continue;
    } else if (word == "generation") {
      // transformers' assistant-mask marker: renders its body unchanged.
      n.kind = Node::Kind::Block;
      expect(TK::CloseStatement, "%}");
      n.bodies.push_back(block({"endgeneration"}, &end));
    } else {
      fail("the statement '" + word + "' is not implemented (implemented: if, for, set, macro, break, continue, generation)");
    }
    expect(TK::CloseStatement, "%}");
    return n;
  }

  std::vector<std::string> target_names() {
    std::vector<std::string> names;
    const bool paren = accept_symbol("(");
    do names.push_back(expect_name());
    while (accept_symbol(","));
    if (paren) expect_symbol(")");
    return names;
  }

  ExprPtr expression() {  // conditional
    ExprPtr e = or_expr();
    while (is_name("if")) {
      const int line = next().line;
      auto c = make(Expr::Kind::Conditional, line);
      ExprPtr cond = or_expr();
      ExprPtr otherwise = accept_name("else") ? expression() : nullptr;
      c->children.push_back(std::move(cond));
      c->children.push_back(std::move(e));
      c->children.push_back(std::move(otherwise));
      e = std::move(c);
    }
    return e;
  }

  ExprPtr binary(Expr::Kind kind, const std::string& op, ExprPtr a, ExprPtr b) {
    auto e = make(kind, a->line, op);
    e->children.push_back(std::move(a));
    e->children.push_back(std::move(b));
    return e;
  }

  ExprPtr or_expr() {
    ExprPtr e = and_expr();
    while (accept_name("or")) e = binary(Expr::Kind::Or, "or", std::move(e), and_expr());
    return e;
  }
  ExprPtr and_expr() {
    ExprPtr e = not_expr();
    while (accept_name("and")) e = binary(Expr::Kind::And, "and", std::move(e), not_expr());
    return e;
  }
  ExprPtr not_expr() {
    if (is_name("not")) {
      auto e = make(Expr::Kind::Not, next().line);
      e->children.push_back(not_expr());
      return e;
    }
    return compare();
  }
  std::string compare_op() {
    static const char* const kOps[] = {"==", "!=", "<", "<=", ">", ">="};
    for (const char* op : kOps)
      if (accept_symbol(op)) return op;
    if (accept_name("in")) return "in";
    if (is_name("not") && is(TK::Name, "in", 1)) {
      i_ += 2;
      return "not in";
    }
    return "";
  }
  ExprPtr compare() {
    ExprPtr e = math1();
    const std::string op = compare_op();
    if (op.empty()) return e;
    e = binary(Expr::Kind::Binary, op, std::move(e), math1());
    if (!compare_op().empty()) fail("chained comparisons (a < b < c) are not implemented");
    return e;
  }
  ExprPtr math1() {
    ExprPtr e = concat();
    while (is_symbol("+") || is_symbol("-")) {
      const std::string op = next().text;
      e = binary(Expr::Kind::Binary, op, std::move(e), concat());
    }
    return e;
  }
  ExprPtr concat() {
    ExprPtr e = math2();
    while (accept_symbol("~")) e = binary(Expr::Kind::Binary, "~", std::move(e), math2());
    return e;
  }
  ExprPtr math2() {
    ExprPtr e = power();
    while (is_symbol("*") || is_symbol("/") || is_symbol("//") || is_symbol("%")) {
      const std::string op = next().text;
      e = binary(Expr::Kind::Binary, op, std::move(e), power());
    }
    return e;
  }
  ExprPtr power() {
    ExprPtr e = unary(true);
    while (accept_symbol("**")) e = binary(Expr::Kind::Binary, "**", std::move(e), unary(true));
    return e;
  }
  ExprPtr unary(bool with_filters) {
    ExprPtr e;
    if (is_symbol("-") || is_symbol("+")) {
      const Token& t = next();
      e = make(t.text == "-" ? Expr::Kind::Negate : Expr::Kind::Plus, t.line);
      e->children.push_back(unary(false));
    } else {
      e = primary();
    }
    e = postfix(std::move(e));
    return with_filters ? filters(std::move(e)) : std::move(e);
  }

  ExprPtr primary() {
    const Token& t = next();
    switch (t.kind) {
      case TK::Name: {
        if (t.text == "true" || t.text == "True") return literal(Value(true), t.line);
        if (t.text == "false" || t.text == "False") return literal(Value(false), t.line);
        if (t.text == "none" || t.text == "None") return literal(Value::none(), t.line);
        return make(Expr::Kind::Name, t.line, t.text);
      }
      case TK::String: {
        std::string s = t.text;
        while (is(TK::String)) s += next().text;  // adjacent strings join, as in Python
        return literal(Value(std::move(s)), t.line);
      }
      case TK::Int:
        try {
          return literal(Value(static_cast<int64_t>(std::stoll(t.text))), t.line);
        } catch (const std::out_of_range&) {
          throw Error("the integer " + t.text + " is too large", t.line);
        }
      case TK::Float: return literal(Value(std::stod(t.text)), t.line);
      case TK::Symbol:
        if (t.text == "(") {
          if (accept_symbol(")")) return make(Expr::Kind::Tuple, t.line);
          ExprPtr first = expression();
          if (accept_symbol(")")) return first;
          auto tuple = make(Expr::Kind::Tuple, t.line);
          tuple->children.push_back(std::move(first));
          while (accept_symbol(",")) {
            if (is_symbol(")")) break;
            tuple->children.push_back(expression());
          }
          expect_symbol(")");
          return tuple;
        }
        if (t.text == "[") {
          auto list = make(Expr::Kind::List, t.line);
          while (!accept_symbol("]")) {
            list->children.push_back(expression());
            if (!is_symbol("]")) expect_symbol(",");
          }
          return list;
        }
        if (t.text == "{") {
          auto dict = make(Expr::Kind::Dict, t.line);
          while (!accept_symbol("}")) {
            dict->children.push_back(expression());
            expect_symbol(":");
            dict->children.push_back(expression());
            if (!is_symbol("}")) expect_symbol(",");
          }
          return dict;
        }
        break;
      default: break;
    }
    throw Error("expected a value, found " + describe(t), t.line);
  }

  static ExprPtr literal(Value v, int line) {
    auto e = make(Expr::Kind::Literal, line);
    e->literal = std::move(v);
    return e;
  }

  ExprPtr postfix(ExprPtr e) {
    while (true) {
      if (is_symbol(".")) {
        const int line = next().line;
        auto m = make(Expr::Kind::Member, line);
        if (is(TK::Int)) {  // x.0 is x[0]
          m->kind = Expr::Kind::Index;
          m->children.push_back(std::move(e));
          m->children.push_back(literal(Value(static_cast<int64_t>(std::stoll(next().text))), line));
        } else {
          m->name = expect_name();
          m->children.push_back(std::move(e));
        }
        e = std::move(m);
      } else if (is_symbol("[")) {
        e = subscript(std::move(e));
      } else if (is_symbol("(")) {
        auto call = make(Expr::Kind::Call, peek().line);
        call->children.push_back(std::move(e));
        arguments(*call);
        e = std::move(call);
      } else {
        return e;
      }
    }
  }

  ExprPtr subscript(ExprPtr e) {
    const int line = next().line;  // [
    std::vector<ExprPtr> parts(1);
    bool slice = false;
    while (!accept_symbol("]")) {
      if (accept_symbol(":")) {
        slice = true;
        if (parts.size() == 3) fail("a slice has at most two colons");
        parts.emplace_back();
      } else {
        if (parts.back()) fail("expected ':' or ']' in a subscript");
        parts.back() = expression();
      }
    }
    auto s = make(slice ? Expr::Kind::Slice : Expr::Kind::Index, line);
    if (!slice && !parts[0]) fail("an empty subscript");
    s->children.push_back(std::move(e));
    parts.resize(slice ? 3 : 1);
    for (auto& p : parts) s->children.push_back(std::move(p));
    return s;
  }

  // (a, b, name=c): appended to call's children, with call.keywords naming each.
  void arguments(Expr& call) {
    expect_symbol("(");
    while (!accept_symbol(")")) {
      if (is(TK::Name) && is(TK::Symbol, "=", 1)) {
        call.keywords.push_back(next().text);
        ++i_;
      } else {
        if (std::any_of(call.keywords.begin(), call.keywords.end(), [](auto& k) { return !k.empty(); }))
          fail("a positional argument follows a keyword argument");
        call.keywords.emplace_back();
      }
      call.children.push_back(expression());
      if (!is_symbol(")")) expect_symbol(",");
    }
  }

  ExprPtr filters(ExprPtr e) {
    while (true) {
      if (is_symbol("|")) {
        const int line = next().line;
        std::string name = expect_name();
        while (accept_symbol(".")) name += "." + expect_name();
        if (!find_filter(name)) throw Error("the filter '" + name + "' is not implemented (implemented: " + filter_names() + ")", line);
        auto f = make(Expr::Kind::Filter, line, name);
        f->children.push_back(std::move(e));
        if (is_symbol("(")) arguments(*f);
        e = std::move(f);
      } else if (is_name("is")) {
        const int line = next().line;
        const bool negated = accept_name("not");
        std::string name = expect_name();
        if (!find_test(name)) throw Error("the test '" + name + "' is not implemented (implemented: " + test_names() + ")", line);
        auto t = make(Expr::Kind::Test, line, name);
        t->negated = negated;
        t->children.push_back(std::move(e));
        if (is_symbol("(")) {
          arguments(*t);
        } else if ((is(TK::Name) || is(TK::String) || is(TK::Int) || is(TK::Float) || is_symbol("[") || is_symbol("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and")) {
          if (is_name("is")) fail("tests cannot be chained with is");
          t->children.push_back(postfix(primary()));  // `x is divisibleby 3`
          t->keywords.emplace_back();
        }
        e = std::move(t);
      } else if (is_symbol("(")) {
        auto call = make(Expr::Kind::Call, peek().line);
        call->children.push_back(std::move(e));
        arguments(*call);
        e = std::move(call);
      } else {
        return e;
      }
    }
  }

  std::vector<Token> t_;
  size_t i_ = 0;
};

}  // namespace

std::vector<Node> parse(std::string_view source) { return Parser(lex(source)).program(); }

}  // namespace longalign::host::jinja
