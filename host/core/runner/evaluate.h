// `longalign eval`: a sweep's [[evaluate]] entries on its done cells' saved models, without
// training again. Each cell's evaluations that have no results yet (all of them with force) run
// in a cell process (`longalign-cell --evaluate`) into the cell's own results file, which is
// then folded into the sweep's DB.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "sweep/resolve.h"

namespace longalign::host {

struct EvalOptions {
  std::string db;                       // default: results/<sweep>.sqlite
  std::vector<std::string> evaluations;  // names of [[evaluate]] entries; empty: all
  bool force = false;                   // run evaluations that have results again
  std::filesystem::path exe;            // longalign-cell
  int threads = 0;                      // 0: all cores
  double timeout_s = 0;                 // per cell; 0: none
};

// Returns 0 when every evaluation asked for ran, 1 when one failed; throws InputError for an
// unknown evaluation name or a missing DB.
int evaluate_sweep(const ResolvedSweep& resolved, const EvalOptions& options);

}  // namespace longalign::host
