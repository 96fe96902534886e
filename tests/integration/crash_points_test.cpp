// Kill -9 at every stage of a cell and of the runner, the way SQLite's tests crash it mid-write
// (util/crash_point.h: LONGALIGN_CRASH_AT names the point): each time the sweep file stays
// whole, no finished cell is lost, no half-written file is taken as good, no process is left
// behind, and running the sweep again finishes with the same results, bit for bit, as a run
// that was never disturbed (timings aside).
#include <gtest/gtest.h>

#include <dirent.h>

#include <fstream>
#include <map>

#include "results_compare.h"
#include "store/sqlite.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

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

class CrashPoints : public ::testing::TestWithParam<const char*> {};

TEST_P(CrashPoints, AKillThereLosesNothingAndARerunEndsAsIfUndisturbed) {
  const auto& reference = test::undisturbed_results(test::kFaultSweep);
  const std::string point = GetParam();
  test::ScratchDir dir("crash");
  std::ofstream(dir.path / "s.toml") << test::kFaultSweep;
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
      EXPECT_TRUE(reference.count(id + " train.final_loss")) << id;
      auto q = d.prepare("SELECT count(*) FROM run_metrics WHERE cell_id = ?1 AND name = 'train.final_loss'");
      q.bind(1, id);
      q.step();
      EXPECT_EQ(q.int_at(0), 1) << "cell " << id << " is marked done without its final loss";
    }
  }
  auto again = dir.run_sweep();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(leftovers(dir.path), std::vector<std::string>{});
  EXPECT_EQ(test::differences(test::computed_results(db), reference), std::vector<std::string>{}) << "resumed after a kill at " << point;
}

// In the order a sweep reaches them.
INSTANTIATE_TEST_SUITE_P(EveryStage, CrashPoints,
                         ::testing::Values("runner.planned", "cell.started", "cache.write", "cell.data-loaded", "cell.step:1", "cell.step:3",
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
