// What the sweep verbs (plan, run) share: the sweep file, --set overrides and --plugin-dir.
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "sweep/resolve.h"

namespace longalign::cli {

// The dirs searched for plugins before the usual path: --plugin-dir's, then the sweep's
// plugin_dirs (where there is a sweep), each checked to exist. Throws host::InputError naming
// where a missing one was given.
std::vector<std::filesystem::path> extra_plugin_dirs(const std::vector<std::string>& flag_dirs, const host::Sweep* sweep);

struct SweepArgs {
  std::string file;
  std::vector<std::string> sets, plugin_dirs;
  void add_to(CLI::App* cmd);
  // Loads the sweep, finds the plugins (--plugin-dir, the sweep's plugin_dirs, then the usual
  // path) and plans every cell. Throws host::InputError.
  host::ResolvedSweep resolve() const;
};

}  // namespace longalign::cli
