// Plugin parameters on the host side: checked against the plugin's schema, defaults filled in,
// then laid out as the la_value tree the C ABI passes to create().
#pragma once
#include <longalign/plugin.h>

#include <nlohmann/json.hpp>

#include <deque>
#include <stdexcept>
#include <string>

#include "plugin/descriptor.h"

namespace longalign::host {

// A parameter that does not fit the schema; key is the parameter's name.
class ParamError : public std::runtime_error {
 public:
  ParamError(std::string key, const std::string& message) : std::runtime_error(message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

// Checks `given` (a JSON object) against the schema and returns it with every default filled in.
// Throws ParamError naming the key: unknown (with the nearest valid name), wrong type, out of range.
nlohmann::json resolve_params(const PluginInfo& info, const nlohmann::json& given);

// Parameters already resolved (a cell's, resolved when its sweep was planned): passed to the
// plugin as they are, so a cell runs with the parameters its id hashes.
struct ResolvedParams {
  nlohmann::json value = nlohmann::json::object();
};

// What a plugin instance is created with: parameters as given (resolved against the plugin's
// schema on creation) or resolved ones.
class InstanceParams {
 public:
  InstanceParams(nlohmann::json given) : value_(std::move(given)), resolved_(false) {}  // NOLINT: implicit by design
  InstanceParams(nlohmann::json::initializer_list_t given) : value_(given), resolved_(false) {}  // NOLINT: {{"key", v}, ...}
  InstanceParams(ResolvedParams resolved) : value_(std::move(resolved.value)), resolved_(true) {}  // NOLINT
  nlohmann::json for_plugin(const PluginInfo& info) const { return resolved_ ? value_ : resolve_params(info, value_); }

 private:
  nlohmann::json value_;
  bool resolved_;
};

// An owned la_value tree built from JSON; root() stays valid while this object lives.
class ValueTree {
 public:
  explicit ValueTree(const nlohmann::json& j);
  ValueTree(const ValueTree&) = delete;
  ValueTree& operator=(const ValueTree&) = delete;
  const la_value* root() const { return root_; }

 private:
  la_value build(const nlohmann::json& j);
  std::deque<std::string> strings_;
  std::deque<std::vector<la_value>> arrays_;
  std::deque<std::vector<la_str>> keys_;
  std::deque<la_value> roots_;
  const la_value* root_ = nullptr;
};

}  // namespace longalign::host
