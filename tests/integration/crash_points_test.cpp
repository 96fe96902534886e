// Kill -9 at every stage of a cell and of the runner, the way SQLite's tests crash it mid-write
// (util/crash_point.h: LONGALIGN_CRASH_AT names the point): each time the sweep file stays
// whole, no finished cell is lost, no half-written file is taken as good, no process is left
// behind, and running the sweep again finishes with the same results, bit for bit, as a run
// that was never disturbed (timings aside).
#include <gtest/gtest.h>

#include <dirent.h>

#include <fstream>
#include <map>

#include "store/sqlite.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Two cells (two seeds) of a few steps each, with checkpoints, held-out loss, a saved model and
// an evaluation: every stage a crash point marks.
const char* kSweep = R"(name = "crash"
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

// Everything a run computes, timings and the attempt's bookkeeping left out.
std::map<std::string, double> results(const fs::path& db) {
  Database d(db.string(), false);
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

// The entries where two results differ, for a readable failure.
std::vector<std::string> differences(const std::map<std::string, double>& a, const std::map<std::string, double>& b) {
  std::vector<std::string> out;
  for (auto& [k, v] : a)
    if (!b.count(k)) out.push_back(k + ": only in the resumed run");
    else if (b.at(k) != v) out.push_back(k + ": " + std::to_string(v) + " resumed, " + std::to_string(b.at(k)) + " undisturbed");
  for (auto& [k, v] : b)
    if (!a.count(k)) out.push_back(k + ": missing after the resume");
  return out;
}

// Processes whose command line names this test's directory: there must be none once a run ends.
std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> found;
  for (auto& e : fs::directory_iterator("/proc")) {
    const std::string pid = e.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos || pid == std::to_string(getpid())) continue;
    std::ifstream in(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), {});
    if (cmd.find(dir.string()) != std::string::npos) found.push_back(pid + ": " + cmd);
  }
  return found;
}

class CrashPoints : public ::testing::TestWithParam<const char*> {
 protected:
  static void SetUpTestSuite() {
    undisturbed_ = new test::ScratchDir("crash-reference");
    std::ofstream(undisturbed_->path / "s.toml") << kSweep;
    auto r = undisturbed_->run_sweep();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    reference_ = new std::map<std::string, double>(results(undisturbed_->path / "r.sqlite"));
  }
  static void TearDownTestSuite() {
    delete undisturbed_;
    delete reference_;
  }
  static test::ScratchDir* undisturbed_;
  static std::map<std::string, double>* reference_;
};
test::ScratchDir* CrashPoints::undisturbed_ = nullptr;
std::map<std::string, double>* CrashPoints::reference_ = nullptr;

TEST_P(CrashPoints, AKillThereLosesNothingAndARerunEndsAsIfUndisturbed) {
  ASSERT_TRUE(reference_ && !reference_->empty());
  const std::string point = GetParam();
  test::ScratchDir dir("crash");
  std::ofstream(dir.path / "s.toml") << kSweep;
  setenv("LONGALIGN_CRASH_AT", point.c_str(), 1);
  auto crashed = dir.run_sweep();
  unsetenv("LONGALIGN_CRASH_AT");
  const bool runner_point = point.rfind("runner.", 0) == 0;
  if (runner_point) EXPECT_EQ(crashed.signal, SIGKILL) << "the runner itself is killed: " << crashed.describe();
  else EXPECT_EQ(crashed.exit_code, 1) << "the cells are killed, the runner records it: " << crashed.err;
  EXPECT_EQ(leftovers(dir.path), std::vector<std::string>{}) << "no process outlives the run";

  const fs::path db = dir.path / "r.sqlite";
  {
    Database d(db.string(), false);
    auto check = d.prepare("PRAGMA integrity_check");
    ASSERT_TRUE(check.step());
    EXPECT_EQ(check.text_at(0), "ok");
    // A cell is done only with all its results: its final loss and its evaluation are there.
    auto done = d.prepare("SELECT cell_id FROM runs WHERE status = 'done'");
    while (done.step()) {
      const std::string id = done.text_at(0);
      EXPECT_TRUE(reference_->count(id + " train.final_loss")) << id;
      auto q = d.prepare("SELECT count(*) FROM run_metrics WHERE cell_id = ?1 AND name = 'train.final_loss'");
      q.bind(1, id);
      q.step();
      EXPECT_EQ(q.int_at(0), 1) << "cell " << id << " is marked done without its final loss";
    }
  }
  auto again = dir.run_sweep();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(leftovers(dir.path), std::vector<std::string>{});
  EXPECT_EQ(differences(results(db), *reference_), std::vector<std::string>{}) << "resumed after a kill at " << point;
}

// In the order a sweep reaches them.
INSTANTIATE_TEST_SUITE_P(EveryStage, CrashPoints,
                         ::testing::Values("cell.started", "cache.write", "cell.data-loaded", "cell.step:1", "cell.step:3",
                                           "checkpoint.write:2", "model.save", "cell.evaluation", "cell.final-commit",
                                           "runner.merge", "runner.between-cells"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           std::string n = p.param;
                           for (auto& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace longalign::host
