// Held-out examples: a seeded choice moved out of the data (disjoint, order kept, the same for
// the same seed), their micro-batches weighting each target 1 / (all targets), and the unigram
// baseline computed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "cell/heldout.h"

namespace longalign::host {
namespace {

Dataset numbered(uint32_t n) {
  Dataset d;
  d.pad = 258;
  d.vocab_size = 259;
  for (uint32_t i = 0; i < n; ++i) {
    Tokenized t;
    t.ids = {256, i % 256, 7};
    t.target = {0, 0, 1};
    d.lengths.push_back(3);
    d.targets.push_back(1);
    d.tokens.push_back(t);
  }
  return d;
}

TEST(Heldout, MovesASeededDisjointChoiceKeepingOrder) {
  Dataset a = numbered(50), b = numbered(50), c = numbered(50);
  Dataset ha = hold_out(a, 10, 3), hb = hold_out(b, 10, 3), hc = hold_out(c, 10, 4);
  ASSERT_EQ(ha.tokens.size(), 10u);
  ASSERT_EQ(a.tokens.size(), 40u);
  ASSERT_EQ(a.lengths.size(), 40u);
  EXPECT_EQ(ha.pad, 258u);  // both parts keep what the tokenizer says of them
  EXPECT_EQ(ha.vocab_size, 259u);
  EXPECT_EQ(a.vocab_size, 259u);
  std::vector<uint32_t> held, kept, held_b, held_c;
  for (auto& t : ha.tokens) held.push_back(t.ids[1]);
  for (auto& t : a.tokens) kept.push_back(t.ids[1]);
  for (auto& t : hb.tokens) held_b.push_back(t.ids[1]);
  for (auto& t : hc.tokens) held_c.push_back(t.ids[1]);
  EXPECT_TRUE(std::is_sorted(held.begin(), held.end()));
  EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
  for (uint32_t h : held) EXPECT_EQ(std::count(kept.begin(), kept.end(), h), 0);
  EXPECT_EQ(held, held_b);
  EXPECT_NE(held, held_c);
  Dataset small = numbered(5);
  EXPECT_THROW(hold_out(small, 5, 0), std::runtime_error);
  EXPECT_TRUE(hold_out(small, 0, 0).tokens.empty());
}

TEST(Heldout, WeightsMakeTheMeanAndUnigramIsByHand) {
  Dataset train = numbered(3), held = numbered(2);
  train.tokens[0].ids[2] = 9;  // train targets: 9, 7, 7
  held.tokens[1].ids = {256, 9, 9, 5};
  held.tokens[1].target = {0, 0, 1, 1};  // held targets: 7, 9, 5
  auto mbs = heldout_micro_batches(held);
  ASSERT_EQ(mbs.size(), 2u);
  EXPECT_EQ(mbs[1].weights, (std::vector<float>{0, 0, 1.0f / 3, 1.0f / 3}));
  // Per sequence: M = 2 sequences with targets (1 and 2 of them), each token 1 / (N_i * M).
  auto per_sequence = heldout_micro_batches(held, HeldoutMean::kSequence);
  EXPECT_EQ(per_sequence[0].weights, (std::vector<float>{0, 0, 0.5f}));
  EXPECT_EQ(per_sequence[1].weights, (std::vector<float>{0, 0, 0.25f, 0.25f}));
  // add-one over 259 ids: counts 7 -> 3, 9 -> 2, 5 -> 1; total 259 + 3.
  const double n = 262;
  EXPECT_NEAR(unigram_loss(train, held), -(std::log(3 / n) + std::log(2 / n) + std::log(1 / n)) / 3, 1e-12);
}

}  // namespace
}  // namespace longalign::host
