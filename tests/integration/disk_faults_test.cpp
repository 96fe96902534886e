// A disk that fills up or fails under each of longalign's writers (the token cache, a cell's
// results file, a checkpoint, the saved model, the sweep's results file, a report), injected by
// tests/fault/fail_writes.c through LD_PRELOAD: each time the command fails saying which file and
// why ("No space left on device", "Input/output error"), the cell that finished before keeps its
// results and the last good checkpoint stays, and once the disk is fine again the same sweep
// finishes with the results of a run never disturbed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "results_compare.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Fault {
  const char* name;
  std::string pattern;  // "{second}" stands for the second cell's id: the first cell finishes
  long bytes;           // written before the fault
  const char* error;    // ENOSPC or EIO
  bool on_fsync;
  std::string file, why;  // in the error the user sees
};

void PrintTo(const Fault& f, std::ostream* os) { *os << f.name; }

class DiskFaults : public ::testing::TestWithParam<Fault> {};

// `longalign ARGS` with the failing disk under it (and under every cell it starts).
ProcessResult with_fault(const test::ScratchDir& dir, const std::string& spec, std::vector<std::string> args) {
  std::vector<std::string> argv = {"/usr/bin/env", "LONGALIGN_CACHE_DIR=" + (dir.path / "cache").string(),
                                   "LD_PRELOAD=" LONGALIGN_FAIL_WRITES, "LONGALIGN_FAIL_WRITES=" + spec, test::kBin.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, 300s);
}

TEST_P(DiskFaults, TheFailureNamesItsFileAndTheRerunEndsAsIfUndisturbed) {
  const Fault& f = GetParam();
  const auto& reference = test::undisturbed_results(test::kFaultSweep);
  test::ScratchDir dir("disk");
  std::ofstream(dir.path / "s.toml") << test::kFaultSweep;
  auto plan = dir.longalign({"plan", (dir.path / "s.toml").string(), "--json"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const auto cells = nlohmann::json::parse(plan.out)["cells"];
  const std::string first = cells[0]["id"], second = cells[1]["id"];
  std::string pattern = f.pattern;
  if (auto at = pattern.find("{second}"); at != std::string::npos) pattern.replace(at, 8, second);
  const std::string spec = pattern + ":" + std::to_string(f.bytes) + ":" + f.error + (f.on_fsync ? ":fsync" : "");
  const fs::path db = dir.path / "r.sqlite";

  auto failed = with_fault(dir, spec, {"run", (dir.path / "s.toml").string(), "--db", db.string(), "--jobs", "1"});
  EXPECT_NE(failed.exit_code, 0) << failed.err;
  EXPECT_FALSE(failed.signal) << failed.describe();
  EXPECT_NE(failed.err.find(f.file), std::string::npos) << "the user is told which file:\n" << failed.err;
  EXPECT_NE(failed.err.find(f.why), std::string::npos) << "and why:\n" << failed.err;

  if (fs::exists(db)) {
    Database d(db.string(), false);
    auto check = d.prepare("PRAGMA integrity_check");
    ASSERT_TRUE(check.step());
    EXPECT_EQ(check.text_at(0), "ok");
  }
  if (f.pattern.find("{second}") != std::string::npos) {  // the first cell finished: its rows are whole
    auto now = test::computed_results(db);
    for (auto& [key, value] : reference)
      if (key.find(first) != std::string::npos) EXPECT_EQ(now.count(key) ? now[key] : -12345.0, value) << key;
  }
  if (std::string(f.name) == "checkpoint") {  // the one before the failed one is still whole
    const fs::path ckpt = dir.path / "faults" / "cells" / second / "checkpoints" / "step-00000002";
    EXPECT_TRUE(fs::exists(ckpt / "state.json") && fs::exists(ckpt / "optimizer.safetensors")) << ckpt;
    EXPECT_FALSE(fs::exists(dir.path / "faults" / "cells" / second / "checkpoints" / "step-00000004"));
  }

  auto again = dir.run_sweep();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(test::differences(test::computed_results(db), reference), std::vector<std::string>{})
      << "after a failed write to " << pattern;
}

TEST(ReportOnAFullDisk, SaysWhichFileAndLeavesNoHalfReport) {
  test::ScratchDir dir("disk-report");
  std::ofstream(dir.path / "s.toml") << "name = \"r\"\n[config]\ncheckpoint.save = false\n[[data]]\nsource = \"synthetic-copy\"\n"
                                        "params = { count = 20 }\n";
  ASSERT_EQ(dir.run_sweep().exit_code, 0);
  const fs::path out = dir.path / "out";
  auto r = with_fault(dir, "report.md:0:ENOSPC", {"report", (dir.path / "r.sqlite").string(), "--no-plots", "--out", out.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find((out / "report.md.tmp.").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(": cannot write: No space left on device"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "report.md")) << "no half-written report is left as if whole";
}

INSTANTIATE_TEST_SUITE_P(
    EveryWriter, DiskFaults,
    ::testing::Values(
        Fault{"cache", ".tokens.tmp", 0, "ENOSPC", false, ".tokens.tmp.", "write failed: No space left on device"},
        Fault{"cell_results", "{second}/cell.sqlite", 120000, "ENOSPC", false, "/cell.sqlite: ",
              "database or disk is full (no space left on the device)"},
        Fault{"checkpoint", "{second}/checkpoints/", 2000000, "ENOSPC", false, "/checkpoints/step-00000004.saving/",
              "cannot write: No space left on device"},
        Fault{"model", "{second}/model.saving/", 0, "ENOSPC", false, "/model.saving/", "cannot write: No space left on device"},
        Fault{"sweep_results", "/r.sqlite", 0, "ENOSPC", false, "/r.sqlite: cannot be created: ",
              "database or disk is full (no space left on the device)"},
        Fault{"cell_results_fsync_eio", "{second}/cell.sqlite", 0, "EIO", true, "/cell.sqlite: ", "(Input/output error)"},
        Fault{"checkpoint_eio", "{second}/checkpoints/", 0, "EIO", false, "/checkpoints/step-00000002.saving/",
              "cannot write: Input/output error"}),
    [](const ::testing::TestParamInfo<Fault>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace longalign::host
