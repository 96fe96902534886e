// What a chat template can call: Jinja2's filters and tests that real templates use, Python's
// string, dict and list methods, attribute and item access, and the globals (range, namespace,
// dict, raise_exception). Strings are UTF-8; lengths, indices and slices count code points,
// as Python's do.
#pragma once
#include <optional>
#include <string>

#include "text/jinja/value.h"

namespace longalign::host::jinja {

using Filter = Value (*)(const Value& operand, const Args& args);
using Test = bool (*)(const Value& operand, const Args& args);

const Filter* find_filter(const std::string& name);  // nullptr when not implemented
const Test* find_test(const std::string& name);
std::string filter_names();
std::string test_names();

Value attribute(const Value& obj, const std::string& name);  // obj.name: a dict's item, or a bound method
Value item(const Value& obj, const Value& key);              // obj[key]
Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step);  // undefined: omitted
bool contains(const Value& container, const Value& x);     // x in container
bool compare(const std::string& op, const Value& a, const Value& b);  // ==, !=, <, <=, >, >=, in, not in
// What `for` goes through: a list's items, a dict's keys, a string's characters; nothing for
// undefined (as Jinja2's Undefined iterates). `what` names the operation for the error.
Array iterate(const Value& v, const std::string& what);

Object globals();

}  // namespace longalign::host::jinja
