// LongBench's answer metrics as the bundled evaluators compute them, on cases worked by hand.
#include <gtest/gtest.h>

#include "text_metrics.h"

namespace longalign::plugins {
namespace {

TEST(TextMetrics, NormalisationDropsCasePunctuationAndArticles) {
  EXPECT_EQ(normalized_words("The Cat, an  owl; A dog!"), (std::vector<std::string>{"cat", "owl", "dog"}));
  EXPECT_TRUE(normalized_words(" ... ").empty());
}

TEST(TextMetrics, TokenF1) {
  EXPECT_DOUBLE_EQ(token_f1("The cat sat", "a cat sat down"), 0.8);  // p = 1, r = 2/3
  EXPECT_DOUBLE_EQ(token_f1("dog", "cat"), 0.0);
  EXPECT_DOUBLE_EQ(token_f1("cat cat", "cat"), 2.0 / 3.0);  // a word counts as often as it occurs
  EXPECT_DOUBLE_EQ(token_f1("", "cat"), 0.0);
}

TEST(TextMetrics, RougeLIsTheF1OfTheLongestCommonSubsequence) {
  EXPECT_NEAR(rouge_l("the cat sat on the mat", "cat on the mat"), 2 * 0.75 / 1.75, 1e-12);  // LCS cat on mat
  EXPECT_DOUBLE_EQ(rouge_l("mat on cat", "cat on mat"), 1.0 / 3.0);  // order matters: LCS of one word
  EXPECT_DOUBLE_EQ(rouge_l("same words here", "Same words, here."), 1.0);
}

}  // namespace
}  // namespace longalign::plugins
