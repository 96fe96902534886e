#include "plugin/descriptor.h"

#include <longalign/plugin.hpp>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <set>

namespace longalign::host {
namespace {

const char* const kKindNames[LA_KIND_COUNT] = {"data-source", "batching", "loss-weighting", "evaluator"};
const char* const kTypeNames[LA_PARAM_TYPE_COUNT] = {"bool", "int", "float", "string", "list", "table"};
constexpr size_t kMaxName = 64;
constexpr size_t kMaxText = 4096;
constexpr size_t kMaxParams = 256;

// A C string the plugin hands us: non-NULL, bounded, valid UTF-8 is left to the consumer.
std::optional<std::string> bounded(const char* s, size_t limit) {
  if (!s) return std::nullopt;
  size_t n = strnlen(s, limit + 1);
  if (n > limit) return std::nullopt;
  return std::string(s, n);
}

bool plugin_name_ok(const std::string& s) {
  if (s.empty() || s.size() > kMaxName || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

bool param_name_ok(const std::string& s) {
  if (s.empty() || s.size() > kMaxName || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// The vtable's size for each kind, and whether all its function pointers are set.
std::string check_vtable(la_plugin_kind kind, const void* vt) {
  if (!vt) return "has no vtable";
  uint32_t size = *static_cast<const uint32_t*>(vt);
  auto need = [&](size_t n, const char* what) -> std::string {
    if (size < n)
      return std::string(what) + " vtable is " + std::to_string(size) + " bytes, API version " +
             std::to_string(LA_API_VERSION) + " needs " + std::to_string(n);
    return {};
  };
  auto missing = [](const char* fn) { return std::string("vtable function ") + fn + " is NULL"; };
  switch (kind) {
    case LA_KIND_DATA_SOURCE: {
      // provenance() came later within version 1: optional.
      if (auto e = need(offsetof(la_data_source_vtable, provenance), "data-source"); !e.empty()) return e;
      auto* v = static_cast<const la_data_source_vtable*>(vt);
      if (!v->create) return missing("create");
      if (!v->destroy) return missing("destroy");
      if (!v->open) return missing("open");
      if (!v->count) return missing("count");
      if (!v->next) return missing("next");
      return {};
    }
    case LA_KIND_BATCHING: {
      if (auto e = need(sizeof(la_batching_vtable), "batching"); !e.empty()) return e;
      auto* v = static_cast<const la_batching_vtable*>(vt);
      if (!v->create) return missing("create");
      if (!v->destroy) return missing("destroy");
      if (!v->plan) return missing("plan");
      return {};
    }
    case LA_KIND_LOSS_WEIGHTING: {
      if (auto e = need(sizeof(la_loss_weighting_vtable), "loss-weighting"); !e.empty()) return e;
      auto* v = static_cast<const la_loss_weighting_vtable*>(vt);
      if (!v->create) return missing("create");
      if (!v->destroy) return missing("destroy");
      if (!v->weigh) return missing("weigh");
      if (v->flags & ~LA_WEIGHTS_UNNORMALIZED) return "unknown loss-weighting flags " + std::to_string(v->flags);
      return {};
    }
    case LA_KIND_EVALUATOR: {
      if (auto e = need(sizeof(la_evaluator_vtable), "evaluator"); !e.empty()) return e;
      auto* v = static_cast<const la_evaluator_vtable*>(vt);
      if (!v->create) return missing("create");
      if (!v->destroy) return missing("destroy");
      if (!v->evaluate) return missing("evaluate");
      return {};
    }
  }
  return "unknown kind";
}

bool type_fits(la_param_type t, const nlohmann::json& v) {
  switch (t) {
    case LA_PARAM_BOOL: return v.is_boolean();
    case LA_PARAM_INT: return v.is_number_integer();
    case LA_PARAM_FLOAT: return v.is_number();
    case LA_PARAM_STRING: return v.is_string();
    case LA_PARAM_LIST: return v.is_array();
    case LA_PARAM_TABLE: return v.is_object();
  }
  return false;
}

}  // namespace

std::string format_number(double x) {
  nlohmann::json j = x;
  if (x == std::floor(x) && std::fabs(x) < 1e15) j = static_cast<int64_t>(x);
  return j.dump();
}

const ParamInfo* PluginInfo::find_param(const std::string& n) const {
  for (auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

const char* kind_name(la_plugin_kind kind) {
  return static_cast<unsigned>(kind) < LA_KIND_COUNT ? kKindNames[kind] : "unknown";
}

std::optional<la_plugin_kind> kind_from_name(const std::string& name) {
  for (unsigned i = 0; i < LA_KIND_COUNT; ++i)
    if (name == kKindNames[i]) return static_cast<la_plugin_kind>(i);
  return std::nullopt;
}

const char* param_type_name(la_param_type type) {
  return static_cast<unsigned>(type) < LA_PARAM_TYPE_COUNT ? kTypeNames[type] : "unknown";
}

std::string check_param_value(const ParamInfo& p, const nlohmann::json& v) {
  if (!type_fits(p.type, v))
    return std::string("expected ") + param_type_name(p.type) + ", got " + v.type_name() + " " + v.dump();
  if (v.is_number()) {
    double x = v.get<double>();
    if (!std::isfinite(x)) return "is not finite";
    if (p.min && x < *p.min) return v.dump() + " is below the minimum " + format_number(*p.min);
    if (p.max && x > *p.max) return v.dump() + " is above the maximum " + format_number(*p.max);
  }
  if (v.is_string() && !p.choices.empty()) {
    for (auto& c : p.choices)
      if (c == v.get<std::string>()) return {};
    std::string all;
    for (auto& c : p.choices) all += (all.empty() ? "" : ", ") + c;
    return v.dump() + " is not one of: " + all;
  }
  return {};
}

std::variant<PluginInfo, std::string> check_descriptor(const la_plugin_descriptor* d) {
  if (!d) return std::string("returned no descriptor");
  if (d->api_version != LA_API_VERSION)
    return "wrong API version: got " + std::to_string(d->api_version) + ", this host supports " +
           std::to_string(LA_API_VERSION);
  if (d->struct_size < sizeof(la_plugin_descriptor))
    return "descriptor is " + std::to_string(d->struct_size) + " bytes, API version " +
           std::to_string(LA_API_VERSION) + " needs " + std::to_string(sizeof(la_plugin_descriptor));
  PluginInfo info;
  auto name = bounded(d->name, kMaxName);
  if (!name || !plugin_name_ok(*name))
    return std::string("invalid plugin name: use 1-64 characters of [a-z0-9-], starting with a letter");
  info.name = *name;
  auto version = bounded(d->version, kMaxName);
  if (!version || version->empty()) return "plugin '" + info.name + "' has no version";
  info.version = *version;
  auto description = bounded(d->description, kMaxText);
  if (!description) return "plugin '" + info.name + "' has no description (or one over 4096 bytes)";
  info.description = *description;
  if (d->kind >= LA_KIND_COUNT) return "plugin '" + info.name + "' has unknown kind " + std::to_string(d->kind);
  info.kind = static_cast<la_plugin_kind>(d->kind);
  if (auto e = check_vtable(info.kind, d->vtable); !e.empty()) return "plugin '" + info.name + "' " + e;
  if (info.kind == LA_KIND_LOSS_WEIGHTING) info.flags = static_cast<const la_loss_weighting_vtable*>(d->vtable)->flags;

  if (d->n_params > kMaxParams) return "plugin '" + info.name + "' declares over 256 parameters";
  if (d->n_params && !d->params) return "plugin '" + info.name + "' declares parameters but no array";
  std::optional<SizedArray<const la_param_spec>> specs;  // at the plugin's stride: its header may be older or newer
  try {
    specs.emplace(d->params, d->n_params, "parameter specs");
  } catch (const Error& e) {
    return "plugin '" + info.name + "' " + e.what();
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < specs->size(); ++i) {
    const la_param_spec s = specs->get(i);
    std::string where = "plugin '" + info.name + "' parameter #" + std::to_string(i);
    ParamInfo p;
    auto pname = bounded(s.name, kMaxName);
    if (!pname || !param_name_ok(*pname))
      return where + ": invalid name: use 1-64 characters of [a-z0-9_], starting with a letter";
    p.name = *pname;
    where = "plugin '" + info.name + "' parameter '" + p.name + "'";
    if (!seen.insert(p.name).second) return where + " is declared twice";
    if (s.type >= LA_PARAM_TYPE_COUNT) return where + " has unknown type " + std::to_string(s.type);
    p.type = static_cast<la_param_type>(s.type);
    auto doc = bounded(s.doc, kMaxText);
    if (!doc) return where + " has no doc";
    p.doc = *doc;
    if (s.struct_size >= offsetof(la_param_spec, flags) + sizeof s.flags) p.path = (s.flags & LA_PARAM_FLAG_PATH) != 0;
    if (s.has_min) {
      if (!std::isfinite(s.min)) return where + " has a non-finite minimum";
      p.min = s.min;
    }
    if (s.has_max) {
      if (!std::isfinite(s.max)) return where + " has a non-finite maximum";
      p.max = s.max;
    }
    if (p.min && p.max && *p.min > *p.max) return where + " has a minimum above its maximum";
    if ((p.min || p.max) && p.type != LA_PARAM_INT && p.type != LA_PARAM_FLOAT)
      return where + " has bounds but is not a number";
    if (s.n_choices) {
      if (p.type != LA_PARAM_STRING) return where + " has choices but is not a string";
      if (!s.choices || s.n_choices > kMaxParams) return where + " has a bad choices array";
      for (size_t c = 0; c < s.n_choices; ++c) {
        auto choice = bounded(s.choices[c], kMaxText);
        if (!choice) return where + " has a NULL or over-long choice";
        p.choices.push_back(*choice);
      }
    }
    auto def = bounded(s.default_json, kMaxText);
    if (!def) return where + " has no default";
    try {
      p.default_value = nlohmann::json::parse(*def);
    } catch (const nlohmann::json::exception&) {
      return where + " default is not valid JSON: " + *def;
    }
    if (auto e = check_param_value(p, p.default_value); !e.empty()) return where + " default " + e;
    info.params.push_back(std::move(p));
  }
  return info;
}

nlohmann::json to_json(const PluginInfo& info) {
  nlohmann::json params = nlohmann::json::array();
  for (auto& p : info.params) {
    nlohmann::json j = {{"name", p.name}, {"type", param_type_name(p.type)}, {"default", p.default_value}, {"doc", p.doc}};
    if (p.min) j["min"] = *p.min;
    if (p.max) j["max"] = *p.max;
    if (!p.choices.empty()) j["choices"] = p.choices;
    if (p.path) j["path"] = true;
    params.push_back(std::move(j));
  }
  nlohmann::json j = {{"name", info.name}, {"version", info.version}, {"description", info.description},
                      {"kind", kind_name(info.kind)}, {"params", params}};
  if (info.flags & LA_WEIGHTS_UNNORMALIZED) j["unnormalized_weights"] = true;
  return j;
}

PluginInfo plugin_info_from_json(const nlohmann::json& j) {
  PluginInfo info;
  info.name = j.at("name");
  info.version = j.at("version");
  info.description = j.at("description");
  auto kind = kind_from_name(j.at("kind"));
  if (!kind) throw std::runtime_error("unknown kind " + j.at("kind").dump());
  info.kind = *kind;
  if (j.value("unnormalized_weights", false)) info.flags |= LA_WEIGHTS_UNNORMALIZED;
  for (auto& pj : j.at("params")) {
    ParamInfo p;
    p.name = pj.at("name");
    std::string t = pj.at("type");
    for (unsigned i = 0; i < LA_PARAM_TYPE_COUNT; ++i)
      if (t == kTypeNames[i]) p.type = static_cast<la_param_type>(i);
    p.default_value = pj.at("default");
    p.doc = pj.at("doc");
    if (pj.contains("min")) p.min = pj["min"].get<double>();
    if (pj.contains("max")) p.max = pj["max"].get<double>();
    if (pj.contains("choices")) p.choices = pj["choices"].get<std::vector<std::string>>();
    p.path = pj.value("path", false);
    info.params.push_back(std::move(p));
  }
  return info;
}

}  // namespace longalign::host
