// `longalign submit FILE --slurm`: a sweep's cells as one Slurm job array. First the results
// files of cells that finished since the last submit are folded into the sweep's DB (as
// `longalign merge` does); then every cell not done gets its spec.json, and one `sbatch --array`
// job runs them, each task the same cell process as `longalign run` (`longalign-cell --spec --db`)
// writing its own results file beside its spec. Submitting again after tasks finished (or were
// cancelled) merges what is done and submits only the rest.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "sweep/resolve.h"

namespace longalign::host {

struct SubmitOptions {
  std::string db;                       // default: results/<sweep>.sqlite
  std::filesystem::path exe;            // longalign-cell
  int cpus_per_task = 1;                // each task's cores (and the cell's threads)
  std::vector<std::string> sbatch_args;  // passed to sbatch as they are (--partition, --time, ...)
  bool dry_run = false;                 // write the script, do not submit
  std::string pushgateway;              // tasks push their live metrics here (http://HOST:PORT)
};

struct SubmitResult {
  size_t merged = 0, submitted = 0, done = 0;
  std::string job_id;                   // empty when nothing was submitted
  std::filesystem::path script;
};

// Throws InputError for bad input and std::runtime_error when sbatch fails (with its stderr).
SubmitResult submit_to_slurm(const ResolvedSweep& resolved, const SubmitOptions& options);

}  // namespace longalign::host
