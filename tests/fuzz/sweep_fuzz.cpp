// libFuzzer target: arbitrary text through the sweep loader and planner. Property: the only
// exception that may escape is InputError (a located message for the user); no crash, no
// sanitizer report, no other exception type.
#include <cstdint>
#include <string>

#include "sweep/resolve.h"

namespace {

// Plugins as the planner sees them, without files: planning a [[data]] count opens the source
// and fails with an InputError, which is a fine outcome here.
const longalign::host::Registry& registry() {
  using namespace longalign::host;
  static Registry reg = [] {
    Registry r;
    auto add = [&](const char* name, la_plugin_kind kind, std::vector<ParamInfo> params) {
      PluginInfo info;
      info.name = name;
      info.version = "1";
      info.kind = kind;
      info.params = std::move(params);
      r.plugins.push_back({std::string("/nonexistent/") + name + ".so", "0", info});
    };
    add("naive", LA_KIND_BATCHING, {{"drop_last", LA_PARAM_BOOL, false, "", std::nullopt, std::nullopt, {}}});
    add("token-mean", LA_KIND_LOSS_WEIGHTING, {});
    add("synthetic-copy", LA_KIND_DATA_SOURCE,
        {{"count", LA_PARAM_INT, 10, "", 0.0, std::nullopt, {}}, {"task", LA_PARAM_STRING, "copy", "", std::nullopt, std::nullopt, {"copy", "reverse"}}});
    add("perplexity", LA_KIND_EVALUATOR, {{"texts", LA_PARAM_LIST, nlohmann::json::array(), "", std::nullopt, std::nullopt, {}}});
    return r;
  }();
  return reg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace longalign::host;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    Sweep sw = parse_sweep(text, "fuzz.toml");
    // Big grids are valid but slow to resolve: they would only slow the search down.
    double cells = static_cast<double>(sw.seeds.size());
    for (auto& [path, values] : sw.grid) cells *= static_cast<double>(values.size());
    if (cells > 512) return 0;
    ResolvedSweep resolved = resolve_sweep(sw, registry());
    for (auto& c : resolved.cells)
      if (c.id.size() != 16) __builtin_trap();
  } catch (const InputError&) {
  }
  return 0;
}
