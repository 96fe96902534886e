// A cell with train.world_size = 2: the cell process starts a second rank, each trains its share of
// every step's micro-batches over Gloo, and the cell ends where the same cell on one process
// does: the same loss at every step and the same held-out loss, within float tolerance.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>

#include "store/store.h"
#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

TEST(DataParallelCell, TwoRanksGiveTheOneProcessCurve) {
  test::ScratchDir dir("dp-cell");
  std::ofstream(dir.path / "s.toml") << R"(name = "dp"
seeds = [0]
[config]
train.max_tokens = 512
train.sequences_per_step = 16
train.epochs = 2
batching.plugin = "packing"
loss.plugin = "longalign"
eval.heldout = 16
[grid]
"train.world_size" = [1, 2]
[[data]]
name = "chat"
source = "synthetic-chat"
params = { count = 96 }
)";
  auto r = dir.run_sweep({"--cores", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Store store((dir.path / "r.sqlite").string(), OpenMode::kExisting);
  std::map<int64_t, std::string> cell_of;  // world size -> cell
  auto q = store.db().prepare("SELECT cell_id, json_extract(grid_json, '$.\"train.world_size\"') FROM runs WHERE status = 'done'");
  while (q.step()) cell_of[q.int_at(1)] = q.text_at(0);
  ASSERT_EQ(cell_of.size(), 2u);
  auto curve = [&](const std::string& cell) {
    std::vector<double> v;
    auto s = store.db().prepare("SELECT value FROM step_metrics WHERE cell_id = ?1 AND name = 'loss' ORDER BY step");
    s.bind(1, cell);
    while (s.step()) v.push_back(s.real_at(0));
    return v;
  };
  auto one = curve(cell_of[1]), two = curve(cell_of[2]);
  ASSERT_EQ(one.size(), two.size());
  ASSERT_GT(one.size(), 4u);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_NEAR(two[i], one[i], 1e-4 * std::fabs(one[i])) << "step " << i;
  auto metric = [&](const std::string& cell, const std::string& name) {
    for (auto& [n, v] : store.run_metrics(cell))
      if (n == name) return v;
    return -1.0;
  };
  EXPECT_NEAR(metric(cell_of[2], "heldout.loss"), metric(cell_of[1], "heldout.loss"), 1e-4);
  EXPECT_EQ(metric(cell_of[2], "train.world_size"), 2);
  EXPECT_TRUE(std::filesystem::exists(dir.path / "dp" / "cells" / cell_of[2] / "rank-1" / "cell.sqlite"));
  EXPECT_TRUE(std::filesystem::exists(dir.path / "dp" / "cells" / cell_of[2] / "model" / "config.json"));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "dp" / "cells" / cell_of[2] / "rank-1" / "model")) << "only rank 0 saves the model";
}

}  // namespace
}  // namespace longalign::host
