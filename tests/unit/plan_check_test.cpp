// check_plan: the invariants every batching plan must keep, each broken once.
#include <gtest/gtest.h>

#include <longalign/batching.hpp>

#include "batching/plan_check.h"

namespace longalign::host {
namespace {

struct Input {
  std::vector<uint32_t> lengths{5, 3, 8, 2};
  std::vector<uint32_t> targets{1, 3, 0, 2};
  la_batch_input raw{sizeof(la_batch_input), lengths.data(), targets.data(), 4, 10, 2, 0, 0, 0, 0};
};

// Packed: row 0 = seq 0 + seq 1 (8 tokens), row 1 = seq 2 (8), row 2 = seq 3 (2).
Plan packed() {
  Plan p;
  p.layout = LA_LAYOUT_PACKED;
  p.segments = {{0, 0, 5}, {1, 0, 3}, {2, 0, 8}, {3, 0, 2}};
  p.rows = {{0, 2, 10}, {2, 1, 10}, {3, 1, 10}};
  p.micro_batches = {{0, 2}, {2, 1}};
  p.steps = {{0, 2}};
  return p;
}

TEST(PlanCheck, AcceptsValidPlans) {
  Input in;
  EXPECT_EQ(check_plan(in.raw, packed()), "");
  Plan split = packed();  // sequence 2 split over two rows
  split.segments = {{0, 0, 5}, {1, 0, 3}, {2, 0, 2}, {2, 2, 6}, {3, 0, 2}};
  split.rows = {{0, 3, 10}, {3, 2, 10}};
  split.micro_batches = {{0, 2}};
  split.steps = {{0, 1}};
  EXPECT_EQ(check_plan(in.raw, split), "");
}

TEST(PlanCheck, FindsEachBrokenInvariant) {
  Input in;
  struct Case {
    std::function<void(Plan&)> mutate;
    std::string error;
  };
  std::vector<Case> cases = {
      {[](Plan& p) { p.segments[3] = {2, 0, 2}; }, "sequence 2 has overlapping pieces at token 2"},
      {[](Plan& p) { p.segments[2].length = 7; }, "sequence 2 is placed with 7 of its 8 tokens"},
      {[](Plan& p) { p.segments[2].offset = 1; }, "sequence 2 has a gap at token 0"},
      {[](Plan& p) { p.segments[3].sequence = 9; }, "a segment names sequence 9 of 4"},
      {[](Plan& p) { p.rows[0].width = 7; }, "row 0 holds 8 tokens in a width of 7"},
      {[](Plan& p) { p.rows[1].width = 11; }, "packed row 1 is 11 wide, over max_tokens 10"},
      {[](Plan& p) { p.rows[1].first_segment = 3; }, "row 1 does not start where row 0 ends"},
      {[](Plan& p) {
         p.micro_batches = {{0, 3}};
         p.steps = {{0, 1}};
       },
       "micro-batch 0 has 3 rows, over rows_per_micro_batch 2"},
      {[](Plan& p) { p.micro_batches = {{0, 1}, {2, 1}}; }, "micro-batch 1 starts at row 2, expected 1"},
      {[](Plan& p) { p.steps = {{0, 1}}; }, "steps cover 1 micro-batches of 2"},
      {[](Plan& p) { p.steps = {{0, 2}, {2, 0}}; }, "step 1 is empty"},
      {[](Plan& p) { p.dropped = {{3, ""}}; }, "sequence 3 is dropped without a reason"},
      {[](Plan& p) { p.dropped = {{3, "x"}}; }, "sequence 3 is both placed and dropped"},
      {[](Plan& p) {
         p.segments.pop_back();
         p.rows.pop_back();
         p.micro_batches = {{0, 2}};
         p.steps = {{0, 1}};
       },
       "sequence 3 is neither placed nor dropped"},
  };
  for (auto& c : cases) {
    Plan p = packed();
    c.mutate(p);
    EXPECT_EQ(check_plan(in.raw, p), c.error);
  }
}

TEST(PlanCheck, PaddedRowsHoldOneSequenceAndShareAWidth) {
  Input in;
  Plan p;
  p.layout = LA_LAYOUT_PADDED;
  p.segments = {{0, 0, 5}, {1, 0, 3}, {2, 0, 8}, {3, 0, 2}};
  p.rows = {{0, 1, 5}, {1, 1, 5}, {2, 1, 8}, {3, 1, 8}};
  p.micro_batches = {{0, 2}, {2, 2}};
  p.steps = {{0, 2}};
  EXPECT_EQ(check_plan(in.raw, p), "");
  p.rows[1].width = 6;
  EXPECT_EQ(check_plan(in.raw, p), "padded micro-batch 0 has rows of different widths");
}

}  // namespace
}  // namespace longalign::host
