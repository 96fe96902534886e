// How a step's loss weight spreads over its sequences, against the formulas on a step with known
// lengths: under the per-sequence mean every sequence weighs 1/M; under a token mean sequence i
// weighs N_i / sum N, so relative to 1/M, M N_i / sum N.
#include <gtest/gtest.h>

#include "cell/weight_spread.h"

namespace longalign::host {
namespace {

// Four sequences of 1, 2, 3 and 10 target tokens, the longest cut in two pieces (a packed
// row's end): sum N = 16, M = 4.
std::vector<la_step_segment> step() {
  return {{0, 0, 0, 0, 1, 1}, {1, 0, 0, 0, 2, 2}, {2, 0, 0, 0, 3, 3}, {3, 0, 0, 0, 6, 10}, {3, 0, 0, 1, 4, 10}};
}

TEST(WeightSpread, ThePerSequenceMeanWeighsEverySequenceAlike) {
  // Weight per token 1 / (M N_i): each sequence's tokens sum to 1/4.
  const std::vector<double> weights = {1.0 / 4, 1.0 / 8, 1.0 / 12, 1.0 / 40, 1.0 / 40};
  const StepWeightSpread s = step_weight_spread(step(), weights);
  EXPECT_DOUBLE_EQ(s.weighting.longest_quarter_share, 0.25);
  EXPECT_DOUBLE_EQ(s.weighting.min, 1.0);
  EXPECT_DOUBLE_EQ(s.weighting.median, 1.0);
  EXPECT_DOUBLE_EQ(s.weighting.max, 1.0);
  // The token mean over the same step: relative weights M N_i / sum N = 0.25, 0.5, 0.75, 2.5.
  EXPECT_DOUBLE_EQ(s.token_mean.longest_quarter_share, 10.0 / 16);
  EXPECT_DOUBLE_EQ(s.token_mean.min, 0.25);
  EXPECT_DOUBLE_EQ(s.token_mean.median, (0.5 + 0.75) / 2);
  EXPECT_DOUBLE_EQ(s.token_mean.max, 2.5);
}

TEST(WeightSpread, ATokenMeanPerRowIsWhatItsRowsMakeIt) {
  // Two rows, {1, 2, 3} and {10}, each a token mean over its own targets, averaged over the two
  // rows (Eq. 3): 1/(2*6) per token in the first, 1/(2*10) in the second.
  std::vector<la_step_segment> segments = step();
  segments[3].row = segments[4].row = 1;
  const std::vector<double> weights = {1.0 / 12, 1.0 / 12, 1.0 / 12, 1.0 / 20, 1.0 / 20};
  const StepWeightSpread s = step_weight_spread(segments, weights);
  // Sequence weights 1/12, 2/12, 3/12 and 1/2: the longest carries half of the step alone.
  EXPECT_DOUBLE_EQ(s.weighting.longest_quarter_share, 0.5);
  EXPECT_DOUBLE_EQ(s.weighting.min, 4.0 / 12);
  EXPECT_DOUBLE_EQ(s.weighting.median, (8.0 / 12 + 12.0 / 12) / 2);
  EXPECT_DOUBLE_EQ(s.weighting.max, 2.0);
}

TEST(WeightSpread, AStepWithoutTargetsHasNoSpread) {
  std::vector<la_step_segment> segments = {{0, 0, 0, 0, 0, 0}};
  const StepWeightSpread s = step_weight_spread(segments, {0.0});
  EXPECT_EQ(s.weighting.longest_quarter_share, 0);
  EXPECT_EQ(s.token_mean.max, 0);
}

}  // namespace
}  // namespace longalign::host
