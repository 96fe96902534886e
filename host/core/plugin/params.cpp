#include "plugin/params.h"

#include "util/nearest.h"

namespace longalign::host {

nlohmann::json resolve_params(const PluginInfo& info, const nlohmann::json& given) {
  if (!given.is_null() && !given.is_object())
    throw ParamError("", "parameters of plugin '" + info.name + "' must be a table");
  std::vector<std::string> names;
  for (auto& p : info.params) names.push_back(p.name);
  nlohmann::json out = nlohmann::json::object();
  if (given.is_object()) {
    for (auto& [key, value] : given.items()) {
      const ParamInfo* p = info.find_param(key);
      if (!p)
        throw ParamError(key, "plugin '" + info.name + "' has no parameter '" + key + "'" + did_you_mean(key, names));
      if (auto e = check_param_value(*p, value); !e.empty())
        throw ParamError(key, "plugin '" + info.name + "' parameter '" + key + "': " + e);
      // An integer given for a float parameter stays a float for the plugin.
      out[key] = (p->type == LA_PARAM_FLOAT) ? nlohmann::json(value.get<double>()) : value;
    }
  }
  for (auto& p : info.params)
    if (!out.contains(p.name)) out[p.name] = p.default_value;
  return out;
}

ValueTree::ValueTree(const nlohmann::json& j) { root_ = &roots_.emplace_back(build(j)); }

la_value ValueTree::build(const nlohmann::json& j) {
  la_value v{};
  auto keep = [&](const std::string& s) {
    const std::string& k = strings_.emplace_back(s);
    return la_str{k.data(), k.size()};
  };
  switch (j.type()) {
    case nlohmann::json::value_t::boolean:
      v.type = LA_PARAM_BOOL;
      v.boolean = j.get<bool>();
      break;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      v.type = LA_PARAM_INT;
      v.integer = j.get<int64_t>();
      v.number = static_cast<double>(v.integer);
      break;
    case nlohmann::json::value_t::number_float:
      v.type = LA_PARAM_FLOAT;
      v.number = j.get<double>();
      break;
    case nlohmann::json::value_t::string:
      v.type = LA_PARAM_STRING;
      v.string = keep(j.get<std::string>());
      break;
    case nlohmann::json::value_t::array: {
      v.type = LA_PARAM_LIST;
      std::vector<la_value> items;
      for (auto& e : j) items.push_back(build(e));
      auto& stored = arrays_.emplace_back(std::move(items));
      v.items = stored.data();
      v.n_items = stored.size();
      break;
    }
    case nlohmann::json::value_t::object: {
      v.type = LA_PARAM_TABLE;
      std::vector<la_value> items;
      std::vector<la_str> keys;
      for (auto& [k, e] : j.items()) {
        keys.push_back(keep(k));
        items.push_back(build(e));
      }
      auto& stored = arrays_.emplace_back(std::move(items));
      auto& stored_keys = keys_.emplace_back(std::move(keys));
      v.items = stored.data();
      v.keys = stored_keys.data();
      v.n_items = stored.size();
      break;
    }
    default:
      throw std::runtime_error("a parameter value cannot be null");
  }
  return v;
}

}  // namespace longalign::host
