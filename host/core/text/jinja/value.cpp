#include "text/jinja/value.h"

#include <unicode/uchar.h>

#include <charconv>
#include <cmath>
#include <cstdio>

#include "text/utf8.h"

namespace longalign::host::jinja {

const Value* Object::find(const std::string& key) const {
  for (auto& [k, v] : items)
    if (k == key) return &v;
  return nullptr;
}

void Object::set(const std::string& key, Value v) {
  for (auto& [k, old] : items)
    if (k == key) {
      old = std::move(v);
      return;
    }
  items.emplace_back(key, std::move(v));
}

Value Args::get(size_t index, const std::string& name, const Value& fallback) const {
  const Value* found = index < positional.size() ? &positional[index] : nullptr;
  for (auto& [k, v] : named)
    if (k == name) {
      if (found) throw Error("the argument '" + name + "' is given twice");
      found = &v;
    }
  return found ? *found : fallback;
}

void Args::expect_at_most(size_t n, const std::string& what) const {
  if (positional.size() > n) throw Error(what + " takes at most " + std::to_string(n) + " positional arguments");
}

Value Value::none() {
  Value v;
  v.kind = Kind::None;
  return v;
}

Value Value::tuple_of(Array items) {
  Value v(std::move(items));
  v.tuple = true;
  return v;
}

Value Value::of(Function f) {
  Value v;
  v.kind = Kind::Function;
  v.function = std::make_shared<Function>(std::move(f));
  return v;
}

bool Value::truthy() const {
  switch (kind) {
    case Kind::Undefined:
    case Kind::None: return false;
    case Kind::Bool: return b;
    case Kind::Int: return i != 0;
    case Kind::Float: return f != 0;
    case Kind::String: return !s.empty();
    case Kind::Array: return !array->empty();
    case Kind::Object: return object->is_namespace || !object->items.empty();
    case Kind::Function: return true;
  }
  return false;
}

std::string Value::type_name() const {
  switch (kind) {
    case Kind::Undefined: return "undefined";
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::Array: return "list";
    case Kind::Object: return object->is_namespace ? "Namespace" : "dict";
    case Kind::Function: return "function";
  }
  return "?";
}

namespace {

// Python's repr(float): the shortest digits that read back, positional from 1e-4 up to 1e16.
std::string float_repr(double f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string sci(buf, end);  // [-]d[.ddd]e±XX
  const size_t e = sci.find('e');
  const int exp = std::stoi(sci.substr(e + 1));
  const bool negative = sci[0] == '-';
  std::string digits;
  for (size_t k = negative ? 1 : 0; k < e; ++k)
    if (sci[k] != '.') digits += sci[k];
  std::string out = negative ? "-" : "";
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    } else if (static_cast<int>(digits.size()) <= exp + 1) {
      out += digits + std::string(static_cast<size_t>(exp + 1) - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(exp + 1)) + "." + digits.substr(static_cast<size_t>(exp + 1));
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char ex[16];
  std::snprintf(ex, sizeof ex, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
  return out + ex;
}

// Python's str.isprintable(): what repr() writes as itself rather than escaped.
bool printable(char32_t c) {
  if (c == ' ') return true;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_SURROGATE:
    case U_PRIVATE_USE_CHAR:
    case U_UNASSIGNED:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
    case U_SPACE_SEPARATOR: return false;
    default: return true;
  }
}

std::string string_repr(const std::string& s) {
  const char quote = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, quote);
  for (size_t i = 0, len = 0; i < s.size(); i += len) {
    const char32_t c = utf8::decode(s, i, &len);
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (!printable(c)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, c < 0x100 ? "\\x%02x" : c < 0x10000 ? "\\u%04x" : "\\U%08x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out.append(s, i, len);
    }
  }
  return out + quote;
}

void json_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void json(std::string& out, const Value& v, int indent, int depth) {
  using K = Value::Kind;
  const std::string pad = indent < 0 ? "" : "\n" + std::string(static_cast<size_t>(indent * (depth + 1)), ' ');
  const std::string close = indent < 0 ? "" : "\n" + std::string(static_cast<size_t>(indent * depth), ' ');
  const std::string comma = indent < 0 ? ", " : ",";
  switch (v.kind) {
    case K::Undefined:
    case K::None: out += "null"; return;
    case K::Bool: out += v.b ? "true" : "false"; return;
    case K::Int: out += std::to_string(v.i); return;
    case K::Float: {
      const std::string r = float_repr(v.f);
      out += r == "nan" ? "NaN" : r == "inf" ? "Infinity" : r == "-inf" ? "-Infinity" : r;
      return;
    }
    case K::String: json_string(out, v.s); return;
    case K::Array:
      if (v.array->empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t k = 0; k < v.array->size(); ++k) {
        out += (k ? comma : "") + pad;
        json(out, (*v.array)[k], indent, depth + 1);
      }
      out += close + "]";
      return;
    case K::Object:
      if (v.object->items.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      for (size_t k = 0; k < v.object->items.size(); ++k) {
        out += (k ? comma : "") + pad;
        json_string(out, v.object->items[k].first);
        out += ": ";
        json(out, v.object->items[k].second, indent, depth + 1);
      }
      out += close + "}";
      return;
    case K::Function: throw Error("a function is not JSON serializable");
  }
}

}  // namespace

std::string Value::str() const {
  switch (kind) {
    case Kind::Undefined: return "";
    case Kind::String: return s;
    default: return repr();
  }
}

std::string Value::repr() const {
  switch (kind) {
    case Kind::Undefined: return "";
    case Kind::None: return "None";
    case Kind::Bool: return b ? "True" : "False";
    case Kind::Int: return std::to_string(i);
    case Kind::Float: return float_repr(f);
    case Kind::String: return string_repr(s);
    case Kind::Array: {
      std::string out = tuple ? "(" : "[";
      for (size_t k = 0; k < array->size(); ++k) out += (k ? ", " : "") + (*array)[k].repr();
      return out + (!tuple ? "]" : array->size() == 1 ? ",)" : ")");
    }
    case Kind::Object: {
      std::string out = object->is_namespace ? "<Namespace {" : "{";
      for (size_t k = 0; k < object->items.size(); ++k)
        out += (k ? ", " : "") + string_repr(object->items[k].first) + ": " + object->items[k].second.repr();
      return out + (object->is_namespace ? "}>" : "}");
    }
    case Kind::Function: return "<function>";
  }
  return "";
}

bool operator==(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) return a.number() == b.number();
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case K::Undefined:
    case K::None: return true;
    case K::String: return a.s == b.s;
    case K::Array: return *a.array == *b.array;
    case K::Object: {
      if (a.object->items.size() != b.object->items.size()) return false;
      for (auto& [k, v] : a.object->items) {
        const Value* other = b.object->find(k);
        if (!other || *other != v) return false;
      }
      return true;
    }
    case K::Function: return a.function == b.function;
    default: return false;
  }
}

std::string to_json(const Value& v, int indent) {
  std::string out;
  json(out, v, indent, 0);
  return out;
}

}  // namespace longalign::host::jinja
