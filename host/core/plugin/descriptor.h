// What the host knows about a plugin, read from its C descriptor and checked field by field.
// check_descriptor() is the only code that reads a plugin's descriptor; the scanner runs it in a
// subprocess and the fuzzer feeds it arbitrary descriptors.
#pragma once
#include <longalign/plugin.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace longalign::host {

struct ParamInfo {
  std::string name;
  la_param_type type = LA_PARAM_BOOL;
  nlohmann::json default_value;
  std::string doc;
  std::optional<double> min, max;
  std::vector<std::string> choices;
  bool path = false;  // names files: relative values resolve against the sweep file's directory
};

struct PluginInfo {
  std::string name, version, description;
  la_plugin_kind kind = LA_KIND_DATA_SOURCE;
  std::vector<ParamInfo> params;
  uint32_t flags = 0;  // loss weighting flags

  const ParamInfo* find_param(const std::string& name) const;
};

const char* kind_name(la_plugin_kind kind);            // "data-source", "batching", ...
std::optional<la_plugin_kind> kind_from_name(const std::string& name);
const char* param_type_name(la_param_type type);       // "bool", "int", ...
std::string format_number(double x);                   // 8 for 8.0, 0.5 for 0.5

// Checks everything the host will rely on: API version, sizes, names, schema and defaults,
// the vtable and its functions. Returns the info or a message saying what is wrong.
std::variant<PluginInfo, std::string> check_descriptor(const la_plugin_descriptor* d);

// Does a JSON value fit a parameter (type, bounds, choices)? Empty when it does, else why not.
std::string check_param_value(const ParamInfo& p, const nlohmann::json& v);

nlohmann::json to_json(const PluginInfo& info);
PluginInfo plugin_info_from_json(const nlohmann::json& j);

}  // namespace longalign::host
