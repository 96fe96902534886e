#include "sweep_args.h"

#include "plugin/registry.h"

namespace longalign::cli {

void SweepArgs::add_to(CLI::App* cmd) {
  cmd->add_option("FILE", file, "The sweep (TOML)")->required();
  cmd->add_option("--set", sets, "Override a key of the sweep file, e.g. --set config.train.epochs=2 (repeatable)");
  cmd->add_option("--plugin-dir", plugin_dirs, "Search this dir for plugins first (repeatable)");
}

host::SweepPlan SweepArgs::plan() const {
  host::Sweep sweep = host::load_sweep(file, sets);
  std::vector<std::filesystem::path> dirs(plugin_dirs.begin(), plugin_dirs.end());
  for (auto& d : dirs) host::require_plugin_dir(d, {"--plugin-dir"}, "");
  for (size_t i = 0; i < sweep.plugin_dirs.size(); ++i)
    host::require_plugin_dir(sweep.plugin_dirs[i], sweep.locate("plugin_dirs." + std::to_string(i)), "plugin_dirs");
  dirs.insert(dirs.end(), sweep.plugin_dirs.begin(), sweep.plugin_dirs.end());
  host::ProbeCache cache(host::ProbeCache::default_file());
  host::Registry registry = host::scan_plugins(host::plugin_search_path(dirs), {host::host_scanner()}, cache);
  return host::plan_sweep(sweep, registry);
}

}  // namespace longalign::cli
