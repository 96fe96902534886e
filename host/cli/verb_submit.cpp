// longalign submit FILE --slurm: the sweep's cells not done yet as one Slurm job array.
#include <iostream>

#include "plugin/registry.h"
#include "runner/slurm.h"
#include "sweep_args.h"
#include "util/build_info.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

struct Options {
  SweepArgs sweep;
  host::SubmitOptions submit;
  bool slurm = false;
};

}  // namespace

Verb add_submit_verb(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("submit", "Submit a sweep's cells not done yet to a cluster (Slurm job array)");
  opt->sweep.add_to(cmd);
  cmd->add_flag("--slurm", opt->slurm, "Submit to Slurm with sbatch (the one scheduler supported)")->required();
  cmd->add_option("--db", opt->submit.db, "Results file (default results/<sweep>.sqlite)");
  cmd->add_option("--cpus-per-task", opt->submit.cpus_per_task, "Cores of each task (the cell's threads)")->check(CLI::PositiveNumber);
  cmd->add_flag("--dry-run", opt->submit.dry_run, "Write the job script, do not submit it");
  cmd->add_option("--pushgateway", opt->submit.pushgateway, "Each task pushes its live metrics to this Prometheus Pushgateway (http://HOST:PORT)");
  cmd->add_option("--sbatch", opt->submit.sbatch_args, "An option for sbatch, e.g. --sbatch=--partition=gpu; repeatable");
  cmd->footer("Each task writes its cell's results file; submitting again merges the finished ones into the DB and "
              "submits the rest. `longalign merge DB results/<sweep>/cells/*/cell.sqlite` merges without submitting.");
  return {cmd, [opt] {
            host::ResolvedSweep resolved = opt->sweep.resolve();
            opt->submit.exe = host::sibling_binary("longalign-cell");
            host::SubmitResult r = host::submit_to_slurm(resolved, opt->submit);
            std::cout << "sweep " << resolved.sweep.name << ": " << r.merged << " finished cells merged, " << r.done << " done, "
                      << r.submitted << " to run";
            if (!r.job_id.empty()) std::cout << "; submitted job array " << r.job_id << " (" << r.script.string() << ")";
            else if (r.submitted) std::cout << "; job script " << r.script.string() << " (not submitted)";
            std::cout << "\n";
            return kExitOk;
          }};
}

}  // namespace longalign::cli
