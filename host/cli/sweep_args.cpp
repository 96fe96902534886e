#include "sweep_args.h"

#include "plugin/registry.h"

namespace longalign::cli {

void SweepArgs::add_to(CLI::App* cmd) {
  cmd->add_option("FILE", file, "The sweep (TOML)")->required();
  cmd->add_option("--set", sets, "Override a key of the sweep file, e.g. --set config.train.epochs=2 (repeatable)");
  cmd->add_option("--plugin-dir", plugin_dirs, "Search this dir for plugins first (repeatable)");
}

std::vector<std::filesystem::path> extra_plugin_dirs(const std::vector<std::string>& flag_dirs, const host::Sweep* sweep) {
  std::vector<std::filesystem::path> dirs(flag_dirs.begin(), flag_dirs.end());
  for (auto& d : dirs) host::require_plugin_dir(d, {"--plugin-dir"}, "");
  if (!sweep) return dirs;
  for (size_t i = 0; i < sweep->plugin_dirs.size(); ++i)
    host::require_plugin_dir(sweep->plugin_dirs[i], sweep->locate("plugin_dirs." + std::to_string(i)), "plugin_dirs");
  dirs.insert(dirs.end(), sweep->plugin_dirs.begin(), sweep->plugin_dirs.end());
  return dirs;
}

host::ResolvedSweep SweepArgs::resolve() const {
  host::Sweep sweep = host::load_sweep(file, sets);
  host::ProbeCache cache(host::ProbeCache::default_file());
  host::Registry registry =
      host::scan_plugins(host::plugin_search_path(extra_plugin_dirs(plugin_dirs, &sweep)), {host::host_scanner()}, cache);
  return host::resolve_sweep(sweep, registry);
}

}  // namespace longalign::cli
