// The bundled loss weightings against each other on hand-made steps: longalign-paper-code equals
// longalign for one pack per rank and no accumulation, and departs from it otherwise (each
// accumulation step normalised alone, packs after the first in a micro-batch missed);
// token-mean and longalign coincide when every sequence has the same N_i; and each trained step
// records how its weight spreads over its sequences.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "plugin/instance.h"
#include "store/sqlite.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

std::vector<double> weigh(const std::string& plugin, std::vector<la_step_segment> segs, uint32_t world, uint32_t accum) {
  la_step st{sizeof(la_step), segs.data(), segs.size(), 0, world, accum};
  for (auto& s : segs) st.n_rows = std::max(st.n_rows, s.row + 1);
  return LossWeightingInstance(PluginLibrary::load(test::kBundled / (plugin + ".so")), nlohmann::json::object()).weigh(st);
}

double target_sum(const std::vector<la_step_segment>& segs, const std::vector<double>& w) {
  double s = 0;
  for (size_t i = 0; i < segs.size(); ++i) s += w[i] * segs[i].targets;
  return s;
}

// {sequence, rank, micro_batch, row, targets, N_i}
using Segs = std::vector<la_step_segment>;

TEST(LossWeighting, PaperCodeEqualsLongalignForOnePackPerRankAndNoAccumulation) {
  Segs segs = {{0, 0, 0, 0, 10, 10}, {1, 0, 0, 0, 3, 3}, {2, 1, 0, 1, 7, 7}, {3, 1, 0, 1, 0, 0}, {4, 1, 0, 1, 1, 1}};
  auto paper = weigh("longalign-paper-code", segs, 2, 1), exact = weigh("longalign", segs, 2, 1);
  for (size_t i = 0; i < segs.size(); ++i) EXPECT_NEAR(paper[i], exact[i], 1e-15) << i;
  EXPECT_NEAR(target_sum(segs, exact), 1.0, 1e-12);
}

TEST(LossWeighting, PaperCodeNormalisesEachAccumulationStepAlone) {
  // Micro-batch 0 holds one sequence, micro-batch 1 holds three: the paper's code gives the lone
  // sequence half the step; the per-sequence mean gives every sequence a quarter.
  Segs segs = {{0, 0, 0, 0, 5, 5}, {1, 0, 1, 1, 5, 5}, {2, 0, 1, 1, 5, 5}, {3, 0, 1, 1, 5, 5}};
  auto paper = weigh("longalign-paper-code", segs, 1, 2), exact = weigh("longalign", segs, 1, 2);
  EXPECT_NEAR(paper[0] * 5, 0.5, 1e-12);
  EXPECT_NEAR(exact[0] * 5, 0.25, 1e-12);
  EXPECT_NEAR(paper[1] * 5, 0.5 / 3, 1e-12);
  EXPECT_NEAR(target_sum(segs, paper), 1.0, 1e-12);  // still sums to 1, with the wrong shares
}

TEST(LossWeighting, PaperCodeMissesPacksAfterTheFirstInAMicroBatch) {
  // Two packs in one micro-batch: M_g counts the first pack's sequences only.
  Segs segs = {{0, 0, 0, 0, 4, 4}, {1, 0, 0, 1, 4, 4}, {2, 0, 0, 1, 4, 4}};
  auto paper = weigh("longalign-paper-code", segs, 1, 1);
  EXPECT_NEAR(target_sum(segs, paper), 3.0, 1e-12);
  EXPECT_NEAR(target_sum(segs, weigh("longalign", segs, 1, 1)), 1.0, 1e-12);
}

TEST(LossWeighting, TokenMeanAndLongalignAgreeWhenAllNiAreEqual) {
  Segs segs = {{0, 0, 0, 0, 6, 6}, {1, 0, 0, 0, 6, 6}, {2, 1, 1, 1, 6, 6}};
  auto a = weigh("token-mean", segs, 2, 2), b = weigh("longalign", segs, 2, 2);
  for (size_t i = 0; i < segs.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-15);
  segs[2].targets = segs[2].sequence_targets = 12;  // a long answer: token-mean gives it more
  a = weigh("token-mean", segs, 2, 2);
  b = weigh("longalign", segs, 2, 2);
  EXPECT_GT(a[2] * 12, b[2] * 12);
}

}  // namespace
}  // namespace longalign::host

namespace longalign::host {
namespace {

// Each step records how its loss weight spreads over its sequences (weights.*), beside what a
// token mean would give them (weights.token_mean.*); the report draws it per group. LongAlign's
// weighting gives every whole sequence of a step the same weight; a token mean does not.
TEST(LossWeighting, EachStepRecordsHowItsWeightSpreadsOverItsSequences) {
  test::ScratchDir d("weight-spread");
  std::ofstream(d.path / "s.toml") << R"(name = "s"
[config]
batching.plugin = "packing"
train.max_tokens = 512
train.sequences_per_step = 8
[grid]
"loss.plugin" = ["token-mean", "longalign"]
[[data]]
source = "synthetic-chat"
params = { count = 64 }
)";
  ProcessResult run = d.run_sweep();
  ASSERT_TRUE(run.ok()) << run.err;
  Database db((d.path / "r.sqlite").string(), false);
  // name -> (loss plugin -> values over the steps)
  auto series = [&](const std::string& plugin, const std::string& name) {
    auto q = db.prepare("SELECT m.value FROM step_metrics m JOIN runs r ON r.cell_id = m.cell_id "
                        "WHERE json_extract(r.grid_json, '$.\"loss.plugin\"') = ?1 AND m.name = ?2 ORDER BY m.step");
    q.bind(1, plugin);
    q.bind(2, name);
    std::vector<double> v;
    while (q.step()) v.push_back(q.real_at(0));
    return v;
  };
  const auto longalign_min = series("longalign", "weights.min"), longalign_max = series("longalign", "weights.max");
  ASSERT_FALSE(longalign_min.empty());
  for (size_t k = 0; k < longalign_min.size(); ++k) {
    EXPECT_NEAR(longalign_min[k], 1.0, 1e-9) << "step " << k;
    EXPECT_NEAR(longalign_max[k], 1.0, 1e-9) << "step " << k;
  }
  const auto token_max = series("token-mean", "weights.max");
  const auto compared = series("token-mean", "weights.token_mean.max");
  ASSERT_EQ(token_max.size(), compared.size());
  for (size_t k = 0; k < token_max.size(); ++k) EXPECT_NEAR(token_max[k], compared[k], 1e-9) << "a token mean is what it is compared with";
  EXPECT_GT(*std::max_element(token_max.begin(), token_max.end()), 1.2) << "long chats outweigh short ones under a token mean";
  EXPECT_EQ(series("longalign", "weights.token_mean.longest_quarter_share").size(), longalign_min.size());

  ProcessResult report = d.longalign({"report", (d.path / "r.sqlite").string(), "--out", (d.path / "report").string()});
  ASSERT_TRUE(report.ok()) << report.err;
  EXPECT_TRUE(std::filesystem::exists(d.path / "report" / "loss-weight-1.png"));
  EXPECT_TRUE(std::filesystem::exists(d.path / "report" / "loss-weight-2.png"));
}

}  // namespace
}  // namespace longalign::host
