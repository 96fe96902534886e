// The values a chat template computes with, as Python and Jinja2 see them: undefined, none,
// booleans, integers, floats, strings, lists, dicts (insertion-ordered; a namespace is a dict
// whose attributes `set` may assign) and callables (macros, globals, bound methods).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace longalign::host::jinja {

// A template that cannot render: the reason, and the line of the template it happened at
// (0 when not known yet; the interpreter adds it).
class Error : public std::invalid_argument {
 public:
  Error(const std::string& what, int line = 0) : std::invalid_argument(what), line(line) {}
  int line;
};

struct Value;
using Array = std::vector<Value>;
struct Object {
  std::vector<std::pair<std::string, Value>> items;
  bool is_namespace = false;
  const Value* find(const std::string& key) const;
  void set(const std::string& key, Value v);
};
struct Args {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> named;
  // The argument at `index`, or named `name`, or `fallback`; Error for one given twice.
  Value get(size_t index, const std::string& name, const Value& fallback) const;
  void expect_at_most(size_t n, const std::string& what) const;
};
using Function = std::function<Value(const Args&)>;

struct Value {
  enum class Kind { Undefined, None, Bool, Int, Float, String, Array, Object, Function };
  Kind kind = Kind::Undefined;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  bool tuple = false;             // an array that Python would hold as a tuple: repr() writes (a, b)
  std::shared_ptr<Array> array;  // lists and tuples: shared, as Python's references are
  std::shared_ptr<Object> object;
  std::shared_ptr<Function> function;

  Value() = default;
  static Value none();
  Value(bool v) : kind(Kind::Bool), b(v) {}
  Value(int64_t v) : kind(Kind::Int), i(v) {}
  Value(int v) : Value(static_cast<int64_t>(v)) {}
  Value(size_t v) : Value(static_cast<int64_t>(v)) {}
  Value(double v) : kind(Kind::Float), f(v) {}
  Value(std::string v) : kind(Kind::String), s(std::move(v)) {}
  Value(const char* v) : Value(std::string(v)) {}
  Value(Array v) : kind(Kind::Array), array(std::make_shared<Array>(std::move(v))) {}
  Value(Object v) : kind(Kind::Object), object(std::make_shared<Object>(std::move(v))) {}
  static Value of(Function f);
  static Value tuple_of(Array items);

  bool defined() const { return kind != Kind::Undefined; }
  bool is_number() const { return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool; }
  double number() const { return kind == Kind::Float ? f : kind == Kind::Int ? static_cast<double>(i) : b; }
  bool truthy() const;
  std::string type_name() const;  // Python's: "str", "int", "list", ...
  std::string str() const;        // Python's str(); undefined renders as nothing, as in Jinja2
  std::string repr() const;       // Python's repr(), for str() of lists and dicts
};

bool operator==(const Value& a, const Value& b);
inline bool operator!=(const Value& a, const Value& b) { return !(a == b); }

// json.dumps(v, ensure_ascii=False, indent=indent) as transformers' tojson filter calls it;
// indent < 0: one line, with ", " and ": " between items.
std::string to_json(const Value& v, int indent = -1);

}  // namespace longalign::host::jinja
