// The bundled batching strategies' plans over epochs and seeds: `reshuffle = "once"` keeps the
// epoch-0 plan for every epoch, `"per-epoch"` draws a new one each epoch, another seed gives
// another plan, and every plan is valid (each sequence placed once or counted as dropped, rows
// within budget).
#include <gtest/gtest.h>

#include <random>

#include "batching/plan_check.h"
#include "plugin/instance.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

struct Input {
  std::vector<uint32_t> lengths, targets;
  la_batch_input raw{};
  explicit Input(size_t n) {
    std::mt19937 rng(4);
    for (size_t i = 0; i < n; ++i) {
      lengths.push_back(4 + rng() % 200);
      targets.push_back(lengths.back() / 2);
    }
    raw.struct_size = sizeof raw;
    raw.lengths = lengths.data();
    raw.targets = targets.data();
    raw.n_sequences = n;
    raw.max_tokens = 256;
    raw.rows_per_micro_batch = 4;
    raw.sequences_per_step = 32;
  }
};

Plan plan_for(const std::string& plugin, const std::string& reshuffle, Input& in, uint64_t seed, uint32_t epoch) {
  BatchingInstance b(PluginLibrary::load(test::kBundled / (plugin + ".so")), {{"reshuffle", reshuffle}});
  in.raw.seed = seed;
  in.raw.epoch = epoch;
  Plan p = b.plan(in.raw);
  EXPECT_EQ(check_plan(in.raw, p), "") << plugin << " seed " << seed << " epoch " << epoch;
  return p;
}

class Reshuffle : public ::testing::TestWithParam<std::string> {};

TEST_P(Reshuffle, OncePlansStayAcrossEpochsPerEpochPlansChange) {
  Input in(300);
  const std::string plugin = GetParam();
  for (uint32_t epoch : {1u, 2u}) {
    EXPECT_TRUE(same_plan(plan_for(plugin, "once", in, 7, 0), plan_for(plugin, "once", in, 7, epoch)))
        << plugin << ": a plan built once must serve epoch " << epoch;
    EXPECT_FALSE(same_plan(plan_for(plugin, "per-epoch", in, 7, 0), plan_for(plugin, "per-epoch", in, 7, epoch)))
        << plugin << ": per-epoch plans must differ in epoch " << epoch;
  }
  EXPECT_TRUE(same_plan(plan_for(plugin, "per-epoch", in, 7, 3), plan_for(plugin, "per-epoch", in, 7, 3)));
  for (const char* mode : {"once", "per-epoch"})
    EXPECT_FALSE(same_plan(plan_for(plugin, mode, in, 7, 0), plan_for(plugin, mode, in, 8, 0)))
        << plugin << " (" << mode << "): another seed must give another plan";
}

INSTANTIATE_TEST_SUITE_P(Bundled, Reshuffle, ::testing::Values("naive", "sorted", "packing"));

}  // namespace
}  // namespace longalign::host
