// What a sweep computed, read back from its results file for comparing two runs of it: every
// status, step metric, run metric and evaluation result, timings and the attempt's bookkeeping
// (resumed_from_step, whether the token cache was warm) left out; and the entries where two such
// readings differ, for a failure message a reader can act on.
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fstream>
#include <stdexcept>

#include "store/sqlite.h"
#include "test_dirs.h"

namespace longalign::test {

inline std::map<std::string, double> computed_results(const std::filesystem::path& db) {
  host::Database d(db.string(), false);
  std::map<std::string, double> out;
  auto runs = d.prepare("SELECT cell_id, status FROM runs");
  while (runs.step()) out["status " + runs.text_at(0) + " " + runs.text_at(1)] = 1;
  auto steps = d.prepare(
      "SELECT cell_id, name, step, value FROM step_metrics WHERE name NOT LIKE '%seconds' AND name != 'tokens_per_s'");
  while (steps.step()) out[steps.text_at(0) + " step " + steps.text_at(2) + " " + steps.text_at(1)] = steps.real_at(3);
  auto run = d.prepare(
      "SELECT cell_id, name, value FROM run_metrics WHERE name NOT LIKE '%seconds' AND name NOT LIKE '%per_s' "
      "AND name != 'resumed_from_step' AND name NOT LIKE 'data.%.cached'");
  while (run.step()) out[run.text_at(0) + " " + run.text_at(1)] = run.real_at(2);
  auto evals = d.prepare("SELECT cell_id, metric, tags_json, value FROM eval_results WHERE metric != 'seconds'");
  while (evals.step()) out[evals.text_at(0) + " eval " + evals.text_at(1) + evals.text_at(2)] = evals.real_at(3);
  return out;
}

inline std::vector<std::string> differences(const std::map<std::string, double>& got, const std::map<std::string, double>& want) {
  std::vector<std::string> out;
  for (auto& [k, v] : got)
    if (!want.count(k)) out.push_back(k + ": only in this run");
    else if (want.at(k) != v) out.push_back(k + ": " + std::to_string(v) + " here, " + std::to_string(want.at(k)) + " undisturbed");
  for (auto& [k, v] : want)
    if (!got.count(k)) out.push_back(k + ": missing here");
  return out;
}

// The sweep the fault-injection tests disturb: two cells (two seeds) of a few steps each, with
// checkpoints, held-out loss, a saved model and an evaluation, so every writer and every stage
// of a cell has its turn.
inline const char* const kFaultSweep = R"(name = "faults"
seeds = [0, 1]
[config]
train.epochs = 1
train.sequences_per_step = 8
train.max_tokens = 256
checkpoint.every = 2
checkpoint.keep = 2
eval.heldout = 4
[[data]]
source = "synthetic-copy"
params = { count = 68 }
[[evaluate]]
name = "ppl"
evaluator = "perplexity"
)";

// What an undisturbed run of `sweep` (a sweep file's text) computes: run once per test process
// and kept, for every disturbed run of the same sweep to be compared with.
inline const std::map<std::string, double>& undisturbed_results(const std::string& sweep) {
  static std::map<std::string, std::map<std::string, double>> runs;
  if (!runs.count(sweep)) {
    ScratchDir dir("undisturbed");
    std::ofstream(dir.path / "s.toml") << sweep;
    auto r = dir.run_sweep();
    if (r.exit_code != 0) throw std::runtime_error("the undisturbed run failed: " + r.err);
    runs[sweep] = computed_results(dir.path / "r.sqlite");
  }
  return runs[sweep];
}

}  // namespace longalign::test
