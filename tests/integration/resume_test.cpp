// Resume after kill -9: a cell killed mid-run (after some checkpoint, at whatever step it had
// reached) and run again goes on from its newest checkpoint and ends with the same loss curve,
// bit for bit, as an uninterrupted run; only the newest `checkpoint.keep` checkpoints stay;
// --force starts over.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "store/sqlite.h"
#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::vector<std::pair<int64_t, double>> losses(const fs::path& db) {
  Database d(db.string(), false);
  auto s = d.prepare("SELECT step, value FROM step_metrics WHERE name = 'loss' ORDER BY step");
  std::vector<std::pair<int64_t, double>> out;
  while (s.step()) out.emplace_back(s.int_at(0), s.real_at(1));
  return out;
}

TEST(Resume, AKilledCellGoesOnFromItsCheckpointAlongTheSameCurve) {
  test::ScratchDir d("resume");
  std::ofstream(d.path / "r.toml") << R"(name = "resume"
[config]
train.epochs = 2
train.sequences_per_step = 4
train.rows_per_micro_batch = 2
checkpoint.every = 5
checkpoint.keep = 2
[[data]]
source = "synthetic-copy"
params = { count = 200 }
)";
  auto run = [&](const std::string& db, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {test::kBin.string(), "run", (d.path / "r.toml").string(), "--db", (d.path / db).string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv, 300s);
  };
  ASSERT_TRUE(run("whole/r.sqlite").ok());
  const auto reference = losses(d.path / "whole/r.sqlite");
  ASSERT_EQ(reference.size(), 100u);

  // Kill the cell once a checkpoint after a seeded step in 10..60 exists.
  std::mt19937 rng(7);
  const int64_t after = 10 + 5 * static_cast<int64_t>(rng() % 11);
  std::thread runner([&] { run("killed/r.sqlite"); });
  const fs::path cells = d.path / "killed" / "resume" / "cells";
  bool killed = false;
  for (auto until = std::chrono::steady_clock::now() + 120s; !killed && std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(20ms)) {
    if (!fs::exists(cells)) continue;
    for (auto& cell : fs::directory_iterator(cells)) {
      char name[32];
      std::snprintf(name, sizeof name, "step-%08lld", static_cast<long long>(after));
      if (fs::exists(cell.path() / "checkpoints" / name)) {
        killed = run_process({"/usr/bin/pkill", "-9", "-f", (cell.path() / "spec.json").string()}, 10s).ok();
        break;
      }
    }
  }
  runner.join();
  ASSERT_TRUE(killed) << "no checkpoint at step " << after << " appeared";
  ProcessResult again = run("killed/r.sqlite");
  ASSERT_TRUE(again.ok()) << again.err;
  const fs::path db = d.path / "killed/r.sqlite";
  EXPECT_GE(test::run_metric(db, "resumed_from_step"), static_cast<double>(after));
  EXPECT_EQ(losses(db), reference) << "the resumed curve must equal the uninterrupted one bit for bit";
  size_t kept = 0;
  for (auto& cell : fs::directory_iterator(cells))
    for ([[maybe_unused]] auto& c : fs::directory_iterator(cell.path() / "checkpoints")) ++kept;
  EXPECT_EQ(kept, 2u) << "checkpoint.keep";
  EXPECT_GT(test::run_metric(db, "checkpoint.bytes"), 0);

  ASSERT_TRUE(run("killed/r.sqlite", {"--force"}).ok());
  EXPECT_EQ(test::run_metric(db, "resumed_from_step"), -1) << "--force starts over";
  EXPECT_EQ(losses(db), reference);
}

}  // namespace
}  // namespace longalign::host
