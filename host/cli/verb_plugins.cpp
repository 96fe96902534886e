// longalign plugins: every plugin on the search path, and every file rejected, with reasons;
// given a sweep, the path that sweep's cells would search (its plugin_dirs first).
#include <chrono>
#include <iostream>
#include <optional>

#include "plugin/registry.h"
#include "sweep_args.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

struct Options {
  bool json = false;
  std::vector<std::string> dirs;
  std::string sweep;
};

void print_text(const host::Registry& reg, const std::vector<std::filesystem::path>& path) {
  std::cout << "Plugin search path:\n";
  for (auto& d : path) std::cout << "  " << d.string() << "\n";
  std::cout << "\n" << reg.plugins.size() << " plugins:\n";
  for (auto& p : reg.plugins) {
    std::cout << "\n" << p.info.name << "  (" << host::kind_name(p.info.kind) << " " << p.info.version << ")  "
              << p.file.string() << "\n    " << p.info.description << "\n";
    for (auto& param : p.info.params) {
      std::cout << "    " << param.name << ": " << host::param_type_name(param.type) << " = " << param.default_value.dump();
      if (param.min || param.max)
        std::cout << " [" << (param.min ? host::format_number(*param.min) : "") << ", "
                  << (param.max ? host::format_number(*param.max) : "") << "]";
      if (!param.choices.empty()) {
        std::cout << " (one of";
        for (auto& c : param.choices) std::cout << " " << c;
        std::cout << ")";
      }
      if (param.path) std::cout << " (files: relative to the sweep file)";
      std::cout << "\n        " << param.doc << "\n";
    }
  }
  if (!reg.rejected.empty()) {
    std::cout << "\n" << reg.rejected.size() << " files rejected:\n";
    for (auto& r : reg.rejected) std::cout << "  " << r.file.string() << ": " << r.reason << "\n";
  }
}

}  // namespace

Verb add_plugins_verb(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("plugins", "List the plugins found on the search path, and the files rejected");
  cmd->add_flag("--json", opt->json, "Print JSON");
  cmd->add_option("--plugin-dir", opt->dirs, "Also search this dir (first); repeatable");
  cmd->add_option("SWEEP", opt->sweep, "A sweep (TOML): list what its cells would see, its plugin_dirs searched too");
  cmd->footer("Search order: --plugin-dir, the sweep's plugin_dirs, LONGALIGN_PLUGIN_PATH (colon-separated), the host's plugin dir.");
  return {cmd, [opt] {
            std::optional<host::Sweep> sweep;
            if (!opt->sweep.empty()) sweep = host::load_sweep(opt->sweep, {});
            auto path = host::plugin_search_path(extra_plugin_dirs(opt->dirs, sweep ? &*sweep : nullptr));
            host::ProbeCache cache(host::ProbeCache::default_file());
            host::Registry reg = host::scan_plugins(path, {host::host_scanner()}, cache);
            if (opt->json) {
              nlohmann::json j = {{"search_path", nlohmann::json::array()}, {"plugins", nlohmann::json::array()},
                                  {"rejected", nlohmann::json::array()}};
              for (auto& d : path) j["search_path"].push_back(d.string());
              for (auto& p : reg.plugins) {
                auto pj = host::to_json(p.info);
                pj["file"] = p.file.string();
                pj["sha256"] = p.hash;
                j["plugins"].push_back(pj);
              }
              for (auto& r : reg.rejected) j["rejected"].push_back({{"file", r.file.string()}, {"reason", r.reason}});
              std::cout << j.dump(2) << "\n";
            } else {
              print_text(reg, path);
            }
            return kExitOk;
          }};
}

}  // namespace longalign::cli
