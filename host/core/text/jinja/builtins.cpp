#include "text/jinja/builtins.h"

#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "text/utf8.h"

namespace longalign::host::jinja {
namespace {

using K = Value::Kind;

std::u32string code_points(const std::string& s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0, len = 0; i < s.size(); i += len) out += utf8::decode(s, i, &len);
  return out;
}

std::string utf8_of(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) utf8::append(out, c);
  return out;
}

// Python's str.isspace().
bool py_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

const std::string& need_string(const Value& v, const std::string& what) {
  if (v.kind != K::String) throw Error(what + " needs a string, not " + v.type_name());
  return v.s;
}

int64_t need_int(const Value& v, const std::string& what) {
  if (v.kind == K::Int) return v.i;
  if (v.kind == K::Bool) return v.b;
  throw Error(what + " needs an integer, not " + v.type_name());
}

// str.strip/lstrip/rstrip(chars=None).
std::string py_strip(const std::string& s, const Value& chars, bool left, bool right) {
  const bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii && !chars.defined()) {
    size_t b = 0, e = s.size();
    while (left && b < e && py_space(static_cast<unsigned char>(s[b]))) ++b;
    while (right && e > b && py_space(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
  }
  const std::u32string cps = code_points(s);
  std::u32string set;
  const bool whitespace = !chars.defined() || chars.kind == K::None;
  if (!whitespace) set = code_points(need_string(chars, "strip"));
  auto strip = [&](char32_t c) { return whitespace ? py_space(c) : set.find(c) != std::u32string::npos; };
  size_t b = 0, e = cps.size();
  while (left && b < e && strip(cps[b])) ++b;
  while (right && e > b && strip(cps[e - 1])) --e;
  return utf8_of(std::u32string_view(cps).substr(b, e - b));
}

Array py_split(const std::string& s, const Value& sep, int64_t max_split) {
  Array out;
  if (!sep.defined() || sep.kind == K::None) {
    const std::u32string cps = code_points(s);
    size_t i = 0;
    while (true) {
      while (i < cps.size() && py_space(cps[i])) ++i;
      if (i >= cps.size()) break;
      if (max_split >= 0 && static_cast<int64_t>(out.size()) == max_split) {
        size_t e = cps.size();
        while (e > i && py_space(cps[e - 1])) --e;
        out.push_back(utf8_of(std::u32string_view(cps).substr(i, e - i)));
        break;
      }
      size_t j = i;
      while (j < cps.size() && !py_space(cps[j])) ++j;
      out.push_back(utf8_of(std::u32string_view(cps).substr(i, j - i)));
      i = j;
    }
    return out;
  }
  const std::string& d = need_string(sep, "split");
  if (d.empty()) throw Error("split: empty separator");
  size_t from = 0;
  while (max_split < 0 || static_cast<int64_t>(out.size()) < max_split) {
    const size_t at = s.find(d, from);
    if (at == std::string::npos) break;
    out.push_back(s.substr(from, at - from));
    from = at + d.size();
  }
  out.push_back(s.substr(from));
  return out;
}

std::string py_replace(const std::string& s, const std::string& old, const std::string& with, int64_t count) {
  std::string out;
  if (old.empty()) {  // Python puts `with` before every character and at the end
    const std::u32string cps = code_points(s);
    int64_t done = 0;
    for (char32_t c : cps) {
      if (count < 0 || done++ < count) out += with;
      utf8::append(out, c);
    }
    if (count < 0 || done < count) out += with;
    return out;
  }
  size_t from = 0;
  for (int64_t n = 0; count < 0 || n < count; ++n) {
    const size_t at = s.find(old, from);
    if (at == std::string::npos) break;
    out.append(s, from, at - from);
    out += with;
    from = at + old.size();
  }
  return out + s.substr(from);
}

std::string icu_case(const std::string& s, bool upper) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(s);
  if (upper) {
    u.toUpper(icu::Locale::getRoot());
  } else {
    u.toLower(icu::Locale::getRoot());
  }
  std::string out;
  return u.toUTF8String(out);
}

// Python's str.capitalize(): the first character in title case, the rest lower.
std::string capitalize(const std::string& s) {
  if (s.empty()) return s;
  size_t len = 0;
  const char32_t first = utf8::decode(s, 0, &len);
  std::string out;
  utf8::append(out, static_cast<char32_t>(u_totitle(static_cast<UChar32>(first))));
  return out + icu_case(s.substr(len), false);
}

// Jinja2's title filter: each word (after runs of -, whitespace, or ([{<) capitalized.
std::string jinja_title(const std::string& s) {
  const std::u32string cps = code_points(s);
  auto boundary = [](char32_t c) { return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || py_space(c); };
  std::string out;
  size_t i = 0;
  while (i < cps.size()) {
    size_t j = i;
    while (j < cps.size() && boundary(cps[j])) ++j;
    out += utf8_of(std::u32string_view(cps).substr(i, j - i));
    size_t k = j;
    while (k < cps.size() && !boundary(cps[k])) ++k;
    if (k > j)
      out += icu_case(utf8_of(std::u32string_view(cps).substr(j, 1)), true) + icu_case(utf8_of(std::u32string_view(cps).substr(j + 1, k - j - 1)), false);
    i = k;
  }
  return out;
}

bool starts_or_ends(const std::string& s, const Value& affix, bool start) {
  auto one = [&](const Value& v) {
    const std::string& a = need_string(v, start ? "startswith" : "endswith");
    return a.size() <= s.size() && (start ? s.compare(0, a.size(), a) == 0 : s.compare(s.size() - a.size(), a.size(), a) == 0);
  };
  if (affix.kind == K::Array) return std::any_of(affix.array->begin(), affix.array->end(), one);
  return one(affix);
}

Value length(const Value& v, const Args&) {
  switch (v.kind) {
    case K::String: return Value(static_cast<int64_t>(code_points(v.s).size()));
    case K::Array: return Value(v.array->size());
    case K::Object: return Value(v.object->items.size());
    case K::Undefined: return Value(0);
    default: throw Error("length: a '" + v.type_name() + "' has no length");
  }
}

// a.b.c, as selectattr, map and join take attributes.
Value dotted(const Value& v, const std::string& path) {
  Value x = v;
  size_t from = 0;
  while (true) {
    const size_t dot = path.find('.', from);
    const std::string part = path.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    if (!x.defined()) return x;
    const bool digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    x = digits && x.kind == K::Array ? item(x, Value(static_cast<int64_t>(std::stoll(part)))) : item(x, Value(part));
    if (dot == std::string::npos) return x;
    from = dot + 1;
  }
}

bool run_test(const std::string& name, const Value& v, const Args& args) {
  const Test* t = find_test(name);
  if (!t) throw Error("the test '" + name + "' is not implemented (implemented: " + test_names() + ")");
  return (*t)(v, args);
}

Args rest_of(const Args& a, size_t from) {
  Args rest;
  if (a.positional.size() > from) rest.positional.assign(a.positional.begin() + static_cast<std::ptrdiff_t>(from), a.positional.end());
  return rest;
}

Value select(const Value& v, const Args& a, bool by_attribute, bool keep) {
  const std::string what = std::string(keep ? "select" : "reject") + (by_attribute ? "attr" : "");
  Array out;
  const size_t test_at = by_attribute ? 1 : 0;
  const std::string attr = by_attribute ? need_string(a.get(0, "", Value()), what) : "";
  const bool has_test = a.positional.size() > test_at;
  const std::string test = has_test ? need_string(a.positional[test_at], what) : "";
  const Args test_args = rest_of(a, test_at + 1);
  for (const Value& x : iterate(v, what)) {
    const Value subject = by_attribute ? dotted(x, attr) : x;
    const bool pass = has_test ? run_test(test, subject, test_args) : subject.truthy();
    if (pass == keep) out.push_back(x);
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {  // str.splitlines() for the line ends templates meet
  std::vector<std::string> lines;
  size_t from = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      lines.push_back(s.substr(from, i - from));
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      from = i + 1;
    }
  }
  if (from < s.size()) lines.push_back(s.substr(from));
  return lines;
}

Value indent(const Value& v, const Args& a) {
  const Value width = a.get(0, "width", Value(4));
  const std::string pad = width.kind == K::String ? width.s : std::string(static_cast<size_t>(need_int(width, "indent")), ' ');
  const bool first = a.get(1, "first", Value(false)).truthy(), blank = a.get(2, "blank", Value(false)).truthy();
  const std::vector<std::string> lines = split_lines(v.str() + "\n");
  std::string out;
  for (size_t k = 0; k < lines.size(); ++k) {
    if (k == 0) {
      out = lines[0];
    } else {
      out += "\n" + (blank || !lines[k].empty() ? pad : "") + lines[k];
    }
  }
  return first ? pad + out : out;
}

Value map(const Value& v, const Args& a) {
  Array out;
  const Value attr = a.get(99, "attribute", Value());
  if (attr.defined()) {
    const Value fallback = a.get(99, "default", Value());
    for (const Value& x : iterate(v, "map")) {
      Value got = dotted(x, need_string(attr, "map"));
      out.push_back(got.defined() ? got : fallback);
    }
    return out;
  }
  const std::string name = need_string(a.get(0, "", Value()), "map");
  const Filter* f = find_filter(name);
  if (!f) throw Error("map: the filter '" + name + "' is not implemented");
  const Args rest = rest_of(a, 1);
  for (const Value& x : iterate(v, "map")) out.push_back((*f)(x, rest));
  return out;
}

Value join(const Value& v, const Args& a) {
  const std::string sep = a.get(0, "d", Value("")).str();
  const Value attr = a.get(1, "attribute", Value());
  std::string out;
  bool first = true;
  for (const Value& x : iterate(v, "join")) {
    out += (first ? "" : sep) + (attr.defined() ? dotted(x, attr.str()) : x).str();
    first = false;
  }
  return out;
}

Value to_int(const Value& v, const Args& a) {
  const Value fallback = a.get(0, "default", Value(0));
  switch (v.kind) {
    case K::Int: return v;
    case K::Bool: return Value(static_cast<int64_t>(v.b));
    case K::Float: return Value(static_cast<int64_t>(v.f));
    case K::String:
      try {
        size_t used = 0;
        const std::string t = py_strip(v.s, Value(), true, true);
        const int64_t n = std::stoll(t, &used);
        return used == t.size() ? Value(n) : fallback;
      } catch (const std::exception&) {
        return fallback;
      }
    default: return fallback;
  }
}

Value to_float(const Value& v, const Args& a) {
  const Value fallback = a.get(0, "default", Value(0.0));
  if (v.is_number()) return Value(v.number());
  if (v.kind == K::String) try {
      size_t used = 0;
      const std::string t = py_strip(v.s, Value(), true, true);
      const double d = std::stod(t, &used);
      return used == t.size() ? Value(d) : fallback;
    } catch (const std::exception&) {
    }
  return fallback;
}

Value first_or_last(const Value& v, bool first) {
  const Array items = iterate(v, first ? "first" : "last");
  if (items.empty()) return Value();
  return first ? items.front() : items.back();
}

Value reverse(const Value& v, const Args&) {
  if (v.kind == K::String) {
    std::u32string cps = code_points(v.s);
    std::reverse(cps.begin(), cps.end());
    return utf8_of(cps);
  }
  Array items = iterate(v, "reverse");
  std::reverse(items.begin(), items.end());
  return items;
}

Value items_of(const Value& v, const Args&) {
  if (!v.defined()) return Array{};
  if (v.kind != K::Object) throw Error("items needs a dict, not " + v.type_name());
  Array out;
  for (auto& [k, x] : v.object->items) out.push_back(Value::tuple_of(Array{Value(k), x}));
  return out;
}

const std::map<std::string, Filter>& filters() {
  static const std::map<std::string, Filter> all = {
      {"abs", [](const Value& v, const Args&) { return v.kind == K::Int ? Value(v.i < 0 ? -v.i : v.i) : Value(std::fabs(v.number())); }},
      {"capitalize", [](const Value& v, const Args&) { return Value(capitalize(v.str())); }},
      {"count", length},
      {"d", [](const Value& v, const Args& a) { return (*find_filter("default"))(v, a); }},
      {"default",
       [](const Value& v, const Args& a) {
         const bool boolean = a.get(1, "boolean", Value(false)).truthy();
         return (!v.defined() || (boolean && !v.truthy())) ? a.get(0, "default_value", Value("")) : v;
       }},
      {"first", [](const Value& v, const Args&) { return first_or_last(v, true); }},
      {"float", to_float},
      {"indent", indent},
      {"int", to_int},
      {"items", items_of},
      {"join", join},
      {"last", [](const Value& v, const Args&) { return first_or_last(v, false); }},
      {"length", length},
      {"list", [](const Value& v, const Args&) { return Value(iterate(v, "list")); }},
      {"lower", [](const Value& v, const Args&) { return Value(icu_case(v.str(), false)); }},
      {"map", map},
      {"reject", [](const Value& v, const Args& a) { return select(v, a, false, false); }},
      {"rejectattr", [](const Value& v, const Args& a) { return select(v, a, true, false); }},
      {"replace",
       [](const Value& v, const Args& a) {
         const Value count = a.get(2, "count", Value::none());
         return Value(py_replace(v.str(), a.get(0, "old", Value("")).str(), a.get(1, "new", Value("")).str(),
                                 count.kind == K::None ? -1 : need_int(count, "replace")));
       }},
      {"reverse", reverse},
      {"safe", [](const Value& v, const Args&) { return v; }},
      {"select", [](const Value& v, const Args& a) { return select(v, a, false, true); }},
      {"selectattr", [](const Value& v, const Args& a) { return select(v, a, true, true); }},
      {"string", [](const Value& v, const Args&) { return Value(v.str()); }},
      {"title", [](const Value& v, const Args&) { return Value(jinja_title(v.str())); }},
      {"tojson",
       [](const Value& v, const Args& a) {
         const Value n = a.get(0, "indent", Value::none());
         return Value(to_json(v, n.kind == K::None ? -1 : static_cast<int>(need_int(n, "tojson"))));
       }},
      {"trim", [](const Value& v, const Args& a) { return Value(py_strip(v.str(), a.get(0, "chars", Value()), true, true)); }},
      {"upper", [](const Value& v, const Args&) { return Value(icu_case(v.str(), true)); }},
  };
  return all;
}

const std::map<std::string, Test>& tests() {
  static const std::map<std::string, Test> all = {
      {"boolean", [](const Value& v, const Args&) { return v.kind == K::Bool; }},
      {"callable", [](const Value& v, const Args&) { return v.kind == K::Function; }},
      {"defined", [](const Value& v, const Args&) { return v.defined(); }},
      {"divisibleby", [](const Value& v, const Args& a) {
         const int64_t n = need_int(a.get(0, "num", Value()), "divisibleby");
         return n != 0 && need_int(v, "divisibleby") % n == 0;
       }},
      {"eq", [](const Value& v, const Args& a) { return v == a.get(0, "other", Value()); }},
      {"equalto", [](const Value& v, const Args& a) { return v == a.get(0, "other", Value()); }},
      {"even", [](const Value& v, const Args&) { return need_int(v, "even") % 2 == 0; }},
      {"false", [](const Value& v, const Args&) { return v.kind == K::Bool && !v.b; }},
      {"float", [](const Value& v, const Args&) { return v.kind == K::Float; }},
      {"ge", [](const Value& v, const Args& a) { return compare(">=", v, a.get(0, "other", Value())); }},
      {"gt", [](const Value& v, const Args& a) { return compare(">", v, a.get(0, "other", Value())); }},
      {"in", [](const Value& v, const Args& a) { return contains(a.get(0, "seq", Value()), v); }},
      {"integer", [](const Value& v, const Args&) { return v.kind == K::Int; }},
      {"iterable", [](const Value& v, const Args&) {
         return v.kind == K::String || v.kind == K::Array || v.kind == K::Object || v.kind == K::Undefined;
       }},
      {"le", [](const Value& v, const Args& a) { return compare("<=", v, a.get(0, "other", Value())); }},
      {"lower", [](const Value& v, const Args&) { return v.kind == K::String && icu_case(v.s, false) == v.s; }},
      {"lt", [](const Value& v, const Args& a) { return compare("<", v, a.get(0, "other", Value())); }},
      {"mapping", [](const Value& v, const Args&) { return v.kind == K::Object && !v.object->is_namespace; }},
      {"ne", [](const Value& v, const Args& a) { return v != a.get(0, "other", Value()); }},
      {"none", [](const Value& v, const Args&) { return v.kind == K::None; }},
      {"number", [](const Value& v, const Args&) { return v.is_number(); }},
      {"odd", [](const Value& v, const Args&) { return need_int(v, "odd") % 2 != 0; }},
      {"sameas", [](const Value& v, const Args& a) {
         const Value o = a.get(0, "other", Value());
         return v.kind == o.kind && (v.kind == K::None || v.kind == K::Undefined || v == o);
       }},
      {"sequence", [](const Value& v, const Args&) { return v.kind == K::String || v.kind == K::Array || v.kind == K::Object; }},
      {"string", [](const Value& v, const Args&) { return v.kind == K::String; }},
      {"true", [](const Value& v, const Args&) { return v.kind == K::Bool && v.b; }},
      {"undefined", [](const Value& v, const Args&) { return !v.defined(); }},
      {"upper", [](const Value& v, const Args&) { return v.kind == K::String && icu_case(v.s, true) == v.s; }},
  };
  return all;
}

template <typename Map>
std::string names_of(const Map& m) {
  std::string out;
  for (auto& [name, f] : m) out += (out.empty() ? "" : ", ") + name;
  return out;
}

Value string_method(const std::string& s, const std::string& name) {
  using F = std::function<Value(const std::string&, const Args&)>;
  static const std::map<std::string, F> methods = {
      {"strip", [](const std::string& s, const Args& a) { return Value(py_strip(s, a.get(0, "chars", Value()), true, true)); }},
      {"lstrip", [](const std::string& s, const Args& a) { return Value(py_strip(s, a.get(0, "chars", Value()), true, false)); }},
      {"rstrip", [](const std::string& s, const Args& a) { return Value(py_strip(s, a.get(0, "chars", Value()), false, true)); }},
      {"split",
       [](const std::string& s, const Args& a) {
         return Value(py_split(s, a.get(0, "sep", Value()), need_int(a.get(1, "maxsplit", Value(-1)), "split")));
       }},
      {"startswith", [](const std::string& s, const Args& a) { return Value(starts_or_ends(s, a.get(0, "prefix", Value()), true)); }},
      {"endswith", [](const std::string& s, const Args& a) { return Value(starts_or_ends(s, a.get(0, "suffix", Value()), false)); }},
      {"upper", [](const std::string& s, const Args&) { return Value(icu_case(s, true)); }},
      {"lower", [](const std::string& s, const Args&) { return Value(icu_case(s, false)); }},
      {"capitalize", [](const std::string& s, const Args&) { return Value(capitalize(s)); }},
      {"replace",
       [](const std::string& s, const Args& a) {
         return Value(py_replace(s, need_string(a.get(0, "old", Value()), "replace"), need_string(a.get(1, "new", Value()), "replace"),
                                 need_int(a.get(2, "count", Value(-1)), "replace")));
       }},
      {"find",
       [](const std::string& s, const Args& a) {
         const size_t at = s.find(need_string(a.get(0, "sub", Value()), "find"));
         return Value(at == std::string::npos ? int64_t{-1} : static_cast<int64_t>(code_points(s.substr(0, at)).size()));
       }},
      {"join",
       [](const std::string& s, const Args& a) {
         std::string out;
         bool first = true;
         for (const Value& x : iterate(a.get(0, "iterable", Value()), "join")) {
           out += (first ? "" : s) + need_string(x, "join");
           first = false;
         }
         return Value(out);
       }},
  };
  auto it = methods.find(name);
  if (it == methods.end()) return Value();
  const F& f = it->second;
  return Value::of([s, &f](const Args& a) { return f(s, a); });
}

Value dict_method(const std::shared_ptr<Object>& o, const std::string& name) {
  if (name == "items") return Value::of([o](const Args&) { return items_of(Value(*o), Args{}); });
  if (name == "keys") return Value::of([o](const Args&) { return Value(iterate(Value(*o), "keys")); });
  if (name == "values")
    return Value::of([o](const Args&) {
      Array out;
      for (auto& [k, v] : o->items) out.push_back(v);
      return Value(out);
    });
  if (name == "get")
    return Value::of([o](const Args& a) {
      const Value* v = o->find(need_string(a.get(0, "key", Value()), "get"));
      return v ? *v : a.get(1, "default", Value::none());
    });
  return Value();
}

int64_t clamp_index(int64_t i, int64_t n) {
  if (i < 0) i += n;
  return std::clamp<int64_t>(i, 0, n);
}

}  // namespace

Array iterate(const Value& v, const std::string& what) {
  switch (v.kind) {
    case K::Array: return *v.array;
    case K::Object: {
      Array keys;
      for (auto& [k, x] : v.object->items) keys.push_back(k);
      return keys;
    }
    case K::String: {
      Array chars;
      for (char32_t c : code_points(v.s)) chars.push_back(utf8_of(std::u32string_view(&c, 1)));
      return chars;
    }
    case K::Undefined: return {};
    default: throw Error(what + ": '" + v.type_name() + "' is not iterable");
  }
}

const Filter* find_filter(const std::string& name) {
  auto it = filters().find(name);
  return it == filters().end() ? nullptr : &it->second;
}
const Test* find_test(const std::string& name) {
  auto it = tests().find(name);
  return it == tests().end() ? nullptr : &it->second;
}
std::string filter_names() { return names_of(filters()); }
std::string test_names() { return names_of(tests()); }

Value attribute(const Value& obj, const std::string& name) {
  switch (obj.kind) {
    case K::Object: {
      if (!obj.object->is_namespace)
        if (Value m = dict_method(obj.object, name); m.defined()) return m;
      const Value* v = obj.object->find(name);
      return v ? *v : Value();
    }
    case K::String: return string_method(obj.s, name);
    default: return Value();
  }
}

Value item(const Value& obj, const Value& key) {
  if (key.kind == K::Int || key.kind == K::Bool) {
    const int64_t i = need_int(key, "an index");
    if (obj.kind == K::Array) {
      const int64_t n = static_cast<int64_t>(obj.array->size());
      const int64_t at = i < 0 ? i + n : i;
      return at >= 0 && at < n ? (*obj.array)[static_cast<size_t>(at)] : Value();
    }
    if (obj.kind == K::String) {
      const std::u32string cps = code_points(obj.s);
      const int64_t n = static_cast<int64_t>(cps.size());
      const int64_t at = i < 0 ? i + n : i;
      return at >= 0 && at < n ? Value(utf8_of(std::u32string_view(cps).substr(static_cast<size_t>(at), 1))) : Value();
    }
  }
  if (key.kind == K::String) {
    if (obj.kind == K::Object) {
      const Value* v = obj.object->find(key.s);
      return v ? *v : Value();
    }
    return attribute(obj, key.s);
  }
  return Value();
}

Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  auto given = [](const Value& v) { return v.defined() && v.kind != K::None; };
  const int64_t by = given(step) ? need_int(step, "a slice's step") : 1;
  if (by == 0) throw Error("a slice's step cannot be zero");
  auto take = [&](int64_t n, auto&& at) {
    int64_t b, e;
    if (by > 0) {
      b = given(start) ? clamp_index(need_int(start, "a slice"), n) : 0;
      e = given(stop) ? clamp_index(need_int(stop, "a slice"), n) : n;
      for (int64_t i = b; i < e; i += by) at(i);
    } else {
      b = given(start) ? std::min(clamp_index(need_int(start, "a slice"), n + 1), n - 1) : n - 1;
      if (given(start) && need_int(start, "a slice") < -n) b = -1;
      e = given(stop) ? (need_int(stop, "a slice") < -n ? -1 : clamp_index(need_int(stop, "a slice"), n)) : -1;
      for (int64_t i = b; i > e; i += by) at(i);
    }
  };
  if (obj.kind == K::Array) {
    Array out;
    take(static_cast<int64_t>(obj.array->size()), [&](int64_t i) { out.push_back((*obj.array)[static_cast<size_t>(i)]); });
    return out;
  }
  if (obj.kind == K::String) {
    const std::u32string cps = code_points(obj.s);
    std::u32string out;
    take(static_cast<int64_t>(cps.size()), [&](int64_t i) { out += cps[static_cast<size_t>(i)]; });
    return utf8_of(out);
  }
  throw Error("a '" + obj.type_name() + "' cannot be sliced");
}

bool compare(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  if (op == "in") return contains(b, a);
  if (op == "not in") return !contains(b, a);
  if (a.is_number() && b.is_number()) {
    const double x = a.number(), y = b.number();
    return op == "<" ? x < y : op == "<=" ? x <= y : op == ">" ? x > y : x >= y;
  }
  if (a.kind == K::String && b.kind == K::String)
    return op == "<" ? a.s < b.s : op == "<=" ? a.s <= b.s : op == ">" ? a.s > b.s : a.s >= b.s;
  throw Error("'" + op + "' is not supported between '" + a.type_name() + "' and '" + b.type_name() + "'");
}

bool contains(const Value& container, const Value& x) {
  switch (container.kind) {
    case K::String: return container.s.find(need_string(x, "'in' on a string")) != std::string::npos;
    case K::Array: return std::find(container.array->begin(), container.array->end(), x) != container.array->end();
    case K::Object: return x.kind == K::String && container.object->find(x.s) != nullptr;
    default: throw Error("'in' needs a string, list or dict on its right, not " + container.type_name());
  }
}

Object globals() {
  Object g;
  g.set("range", Value::of([](const Args& a) {
          a.expect_at_most(3, "range");
          int64_t start = 0, stop, step = 1;
          if (a.positional.size() == 1) {
            stop = need_int(a.positional[0], "range");
          } else if (a.positional.size() >= 2) {
            start = need_int(a.positional[0], "range");
            stop = need_int(a.positional[1], "range");
            if (a.positional.size() == 3) step = need_int(a.positional[2], "range");
          } else {
            throw Error("range needs at least one argument");
          }
          if (step == 0) throw Error("range's step cannot be zero");
          Array out;
          for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(Value(i));
          return Value(out);
        }));
  auto object_of = [](const Args& a, bool ns) {
    Object o;
    o.is_namespace = ns;
    if (!a.positional.empty()) {
      if (a.positional.size() > 1 || a.positional[0].kind != K::Object) throw Error("expected one dict or keyword arguments");
      o.items = a.positional[0].object->items;
    }
    for (auto& [k, v] : a.named) o.set(k, v);
    return Value(std::move(o));
  };
  g.set("namespace", Value::of([object_of](const Args& a) { return object_of(a, true); }));
  g.set("dict", Value::of([object_of](const Args& a) { return object_of(a, false); }));
  g.set("raise_exception", Value::of([](const Args& a) -> Value {
          throw Error("the template raised an exception: " + a.get(0, "message", Value("")).str());
        }));
  return g;
}

}  // namespace longalign::host::jinja
