// `longalign run`: each cell of a sweep in its own child process (longalign-cell), N at a
// time, each with its share of the cores. The runner reads their NDJSON events, shows progress,
// enforces timeouts, records crashes with their signal and last lines of stderr, and folds every
// finished cell's results file into the sweep's DB. Running the same sweep again resumes.
#pragma once
#include <filesystem>
#include <string>

#include "sweep/resolve.h"

namespace longalign::host {

struct RunOptions {
  std::string db;           // default: results/<sweep>.sqlite
  int jobs = 1;             // cells at once
  int cores = 0;            // cores to share among them; 0: all of this machine's
  bool force = false;       // run done cells again too
  bool force_changed = false;  // run again the done cells made by other code: another longalign build or plugin file
  bool rerun_failed = false;  // run only cells that failed or were interrupted before
  double timeout_s = -1;    // per cell; < 0: the sweep's timeout_s
  std::filesystem::path exe;  // the cell binary, longalign-cell
  bool progress_tty = false;  // redraw one status line instead of printing plain lines
  int metrics_port = 9464;    // live metrics at http://metrics_bind:metrics_port/metrics; 0: off
  std::string metrics_bind = "127.0.0.1";
  std::string pushgateway;        // push each finished cell's final metrics here (http://HOST:PORT)
  bool pushgateway_delete = false;  // and delete their groups once the sweep's results are merged
};

// Returns the exit code: 0 when every cell is done, 1 when some failed or the run was
// interrupted (SIGINT/SIGTERM). Throws InputError/StoreError on bad input or an unusable DB.
int run_sweep(const ResolvedSweep& resolved, const RunOptions& options);

std::string default_db_path(const Sweep& sweep);  // results/<name>.sqlite

// What the sweeps table keeps of a resolved sweep: {"name", "cells": [{"cell_id", "seed", "grid"}], "plugins"}.
nlohmann::json sweep_summary(const ResolvedSweep& resolved);

}  // namespace longalign::host
