// longalign run FILE: runs every cell that is not done yet, each in its own process.
#include <unistd.h>

#include "plugin/registry.h"
#include "runner/runner.h"
#include "sweep_args.h"
#include "util/build_info.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

struct Options {
  SweepArgs sweep;
  host::RunOptions run;
};

}  // namespace

Verb add_run_verb(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("run", "Run a sweep's cells (resuming: done cells are skipped)");
  opt->sweep.add_to(cmd);
  cmd->add_option("--db", opt->run.db, "Results file (default results/<sweep>.sqlite)");
  cmd->add_option("--jobs,-j", opt->run.jobs, "Cells at once; the cores are shared among them")->check(CLI::PositiveNumber);
  cmd->add_option("--cores", opt->run.cores, "Cores to use (default: all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--timeout", opt->run.timeout_s, "Seconds a cell may run (default: the sweep's timeout_s; 0: none)");
  cmd->add_option("--metrics-port", opt->run.metrics_port, "Serve live Prometheus metrics on this port while running (0: off)")
      ->capture_default_str()
      ->envname("LONGALIGN_METRICS_PORT");
  cmd->add_option("--metrics-bind", opt->run.metrics_bind, "Address the metrics endpoint listens on")->capture_default_str();
  cmd->add_option("--pushgateway", opt->run.pushgateway, "Push each finished cell's final metrics to this Prometheus Pushgateway (http://HOST:PORT)");
  cmd->add_flag("--pushgateway-delete", opt->run.pushgateway_delete,
                "Delete the pushed groups at the end, once the results DB holds everything");
  cmd->add_flag("--force", opt->run.force, "Run done cells again too");
  cmd->add_flag("--force-changed", opt->run.force_changed,
                "Run again the done cells that another longalign build or other plugin files made");
  cmd->add_flag("--rerun-failed", opt->run.rerun_failed, "Run only the cells that failed or were interrupted before");
  cmd->footer("Exit code 0 when every cell is done, 1 when some failed or the run was stopped, 2 on bad input.");
  return {cmd, [opt] {
            host::ResolvedSweep resolved = opt->sweep.resolve();
            opt->run.exe = host::sibling_binary("longalign-cell");
            opt->run.progress_tty = isatty(2);
            return host::run_sweep(resolved, opt->run);
          }};
}

}  // namespace longalign::cli
