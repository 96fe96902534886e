// What the sweep verbs (plan, run) share: the sweep file, --set overrides and --plugin-dir.
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "sweep/plan.h"

namespace longalign::cli {

struct SweepArgs {
  std::string file;
  std::vector<std::string> sets, plugin_dirs;
  void add_to(CLI::App* cmd);
  // Loads the sweep, finds the plugins (--plugin-dir, the sweep's plugin_dirs, then the usual
  // path) and plans every cell. Throws host::InputError.
  host::SweepPlan plan() const;
};

}  // namespace longalign::cli
