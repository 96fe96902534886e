// Splitting a step's micro-batches across data-parallel ranks: the costliest first to the least
// loaded rank, by attention (sum n_i^2 for packed rows) plus tokens; every micro-batch placed.
#include <gtest/gtest.h>

#include "cell/step_batches.h"

namespace longalign::host {
namespace {

// A packed plan: one row per micro-batch, each row holding sequences of the given lengths.
Plan packed(const std::vector<std::vector<uint32_t>>& rows) {
  Plan p;
  p.layout = LA_LAYOUT_PACKED;
  uint32_t seq = 0;
  for (auto& lengths : rows) {
    la_row row{static_cast<uint32_t>(p.segments.size()), static_cast<uint32_t>(lengths.size()), 0};
    for (uint32_t n : lengths) {
      p.segments.push_back({seq++, 0, n});
      row.width += n;
    }
    p.micro_batches.push_back({static_cast<uint32_t>(p.rows.size()), 1});
    p.rows.push_back(row);
  }
  p.steps.push_back({0, static_cast<uint32_t>(p.micro_batches.size())});
  return p;
}

TEST(RankSplit, CostliestFirstToTheLeastLoaded) {
  // Costs: 1000^2 + 1000, 4 x 250^2 + 1000, 700^2 + 700, 300^2 + 300.
  Plan p = packed({{1000}, {250, 250, 250, 250}, {700}, {300}});
  EXPECT_EQ(assign_ranks(p, p.steps[0], 2), (std::vector<uint32_t>{0, 1, 1, 1}));
  EXPECT_EQ(assign_ranks(p, p.steps[0], 1), (std::vector<uint32_t>{0, 0, 0, 0}));
  EXPECT_EQ(assign_ranks(p, p.steps[0], 4), (std::vector<uint32_t>{0, 2, 1, 3}));  // one each, by cost
  Plan fewer = packed({{10}});
  EXPECT_EQ(assign_ranks(fewer, fewer.steps[0], 3), (std::vector<uint32_t>{0})) << "ranks left without a micro-batch are fine";
}

}  // namespace
}  // namespace longalign::host
