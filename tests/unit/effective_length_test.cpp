// The effective-length rule on hand-computed curves: monotone, dipping and recovering, never
// reaching the threshold past the shortest, scoring 0 at the shortest, exactly at 85%.
#include <gtest/gtest.h>

#include "report/effective_length.h"

namespace longalign::host {
namespace {

TEST(EffectiveLength, IsTheLongestLengthBeforeTheFirstFallBelow85PercentOfTheShortest) {
  // 0.85 * 0.8 = 0.68: 1024 keeps 0.7, 2048 falls to 0.6.
  EXPECT_EQ(effective_length({{256, 0.8}, {512, 0.75}, {1024, 0.7}, {2048, 0.6}, {4096, 0.1}}), 1024);
  EXPECT_EQ(effective_length({{256, 1.0}, {512, 1.0}, {1024, 0.9}}), 1024);  // every length keeps it
}

TEST(EffectiveLength, ADipEndsTheRunEvenWhereALongerLengthRecovers) {
  EXPECT_EQ(effective_length({{256, 1.0}, {512, 0.5}, {1024, 0.95}, {2048, 1.0}}), 256);
  // A rise above the shortest's score is kept, and the threshold stays the shortest's.
  EXPECT_EQ(effective_length({{256, 0.4}, {512, 0.9}, {1024, 0.35}, {2048, 0.3}}), 1024);
}

TEST(EffectiveLength, NoLongerLengthReachingTheThresholdLeavesTheShortest) {
  EXPECT_EQ(effective_length({{128, 0.9}, {256, 0.2}, {512, 0.0}}), 128);
}

TEST(EffectiveLength, NothingToKeepOrNothingToReadIsZero) {
  EXPECT_EQ(effective_length({{128, 0.0}, {256, 0.3}}), 0);
  EXPECT_EQ(effective_length({}), 0);
}

TEST(EffectiveLength, TheThresholdItselfIsKept) {
  EXPECT_EQ(effective_length({{100, 0.5}, {200, 0.425}, {300, 0.4249}}), 200);
  EXPECT_EQ(effective_length({{100, 1.0}, {200, 0.5}}, 0.5), 200);  // another share
}

}  // namespace
}  // namespace longalign::host
