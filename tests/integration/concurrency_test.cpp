// Several commands on one results file at once, as a user with a few terminals open would:
// `run` merging its cells while `report`, `merge` and `eval` read and write the same file. None
// may tell the user "database is locked", and every report sees each cell whole or not at all
// (a done cell with all its results, never its run row without its metrics).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "test_dirs.h"

namespace longalign::host {
namespace {

namespace fs = std::filesystem;

TEST(Concurrency, RunReportMergeAndEvalShareOneFile) {
  test::ScratchDir dir("concurrent");
  std::ofstream(dir.path / "s.toml") << R"(name = "together"
seeds = [0, 1, 2, 3, 4, 5]
[config]
train.sequences_per_step = 8
[[data]]
source = "synthetic-copy"
params = { count = 40 }
[[evaluate]]
name = "ppl"
evaluator = "perplexity"
)";
  const std::string db = (dir.path / "r.sqlite").string();
  std::atomic<bool> finished{false};
  std::mutex mu;
  std::vector<std::string> problems;
  auto problem = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    problems.push_back(what);
  };
  auto locked = [](const ProcessResult& r) { return r.err.find("locked") != std::string::npos; };

  ProcessResult run;
  std::thread runner([&] {
    run = dir.run_sweep({"--jobs", "2"});
    finished = true;
  });
  int reports = 0, whole_cells = 0, merges = 0, evals = 0;
  std::thread reporter([&] {
    for (; !finished; std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
      if (!fs::exists(db)) continue;
      auto r = dir.longalign({"report", db, "--format", "json", "--no-plots", "--out", (dir.path / "report").string()});
      if (r.exit_code != 0 || locked(r)) {
        problem("report: " + r.err);
        continue;
      }
      ++reports;
      const nlohmann::json report = nlohmann::json::parse(r.out);
      for (auto& g : report["groups"]) {
        const size_t cells = g["cells"].size();
        for (const char* column : {"train.final_loss", "ppl.perplexity"}) {
          const auto& c = g["columns"];
          if (!c.contains(column) || c[column]["n"].get<size_t>() != cells)
            problem(std::string("report saw a cell without its ") + column + ": " + g.dump());
        }
        whole_cells += static_cast<int>(cells);
      }
    }
  });
  std::thread merger([&] {
    for (; !finished; std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
      const fs::path cells = dir.path / "together" / "cells";
      if (!fs::exists(cells)) continue;
      for (auto& c : fs::directory_iterator(cells)) {
        if (!fs::exists(c.path() / "cell.sqlite")) continue;
        auto r = dir.longalign({"merge", db, (c.path() / "cell.sqlite").string()});
        // A cell still training is refused (exit 1, "has not finished"); anything else is a problem.
        if (locked(r) || (r.exit_code != 0 && r.err.find("has not finished") == std::string::npos)) problem("merge: " + r.err);
        merges += r.exit_code == 0;
      }
    }
  });
  std::thread evaluator([&] {
    for (; !finished; std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
      if (!fs::exists(db)) continue;
      auto r = dir.longalign({"eval", (dir.path / "s.toml").string(), "--db", db});
      if (r.exit_code != 0 || locked(r)) problem("eval: " + r.err);
      ++evals;
    }
  });
  runner.join();
  reporter.join();
  merger.join();
  evaluator.join();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_FALSE(locked(run)) << run.err;
  EXPECT_EQ(problems, std::vector<std::string>{});
  EXPECT_GT(reports, 0);
  EXPECT_GT(merges, 0) << "merge ran beside the runner";
  EXPECT_GT(evals, 0);
  RecordProperty("reports", reports);
  RecordProperty("cells_seen_whole", whole_cells);
}

}  // namespace
}  // namespace longalign::host
