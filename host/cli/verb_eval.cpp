// longalign eval FILE: a sweep's [[evaluate]] entries on its done cells' saved models. Adding an
// evaluator to a sweep file and running this never retrains a cell.
#include "plugin/registry.h"
#include "runner/evaluate.h"
#include "sweep_args.h"
#include "util/build_info.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

struct Options {
  SweepArgs sweep;
  host::EvalOptions eval;
};

}  // namespace

Verb add_eval_verb(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("eval", "Run a sweep's evaluations on its done cells' saved models (no training)");
  opt->sweep.add_to(cmd);
  cmd->add_option("--db", opt->eval.db, "Results file (default results/<sweep>.sqlite)");
  cmd->add_option("--evaluation,-e", opt->eval.evaluations, "Only this [[evaluate]] entry; repeatable");
  cmd->add_flag("--force", opt->eval.force, "Run evaluations that have results again");
  cmd->add_option("--threads", opt->eval.threads, "Threads per cell (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--timeout", opt->eval.timeout_s, "Seconds a cell's evaluations may take (0: none)");
  cmd->footer("Evaluations that already have results are skipped. Exit code 0 when every evaluation ran, 1 when one failed, 2 on bad input.");
  return {cmd, [opt] {
            host::ResolvedSweep resolved = opt->sweep.resolve();
            opt->eval.exe = host::sibling_binary("longalign-cell");
            return host::evaluate_sweep(resolved, opt->eval);
          }};
}

}  // namespace longalign::cli
