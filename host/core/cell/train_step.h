// One optimizer step of a cell: a step of the batch plan in, what it did out. The step is weighed
// over all its micro-batches (every rank computes the same weights), and this rank trains its
// share of them; the record is what the cell stores as that step's metrics.
#pragma once
#include <longalign/plugin.hpp>

#include <cstdint>
#include <vector>

#include "cell/dataset.h"
#include "cell/step_trainer.h"
#include "cell/weight_spread.h"

namespace longalign::host {

class LossWeightingInstance;
class MetricWriter;

// Where this process stands in the cell's data-parallel group (one process: rank 0 of 1).
struct RankPlace {
  uint32_t rank = 0, world = 1;
};

struct StepRecord {
  engine::StepStats stats;
  double real_tokens = 0, padded_slots = 0, sequences = 0, target_tokens = 0, weight_sum = 0;
  uint32_t micro_batches = 0;
  StepWeightSpread spread;

  double tokens_per_s() const { return stats.seconds > 0 ? real_tokens / stats.seconds : 0; }
};

// Trains step `index` (plan.steps[...] = `step`) of a plan; n_i: sequence_targets(plan, d).
// Throws std::runtime_error when the loss is not finite.
StepRecord train_step(StepTrainer& trainer, LossWeightingInstance& loss, const Plan& plan, const la_range& step,
                      const Dataset& d, const std::vector<uint32_t>& n_i, RankPlace place, bool restart_positions,
                      int64_t index);

// The step's metrics (loss, lr, timing breakdown, tokens, weights and how they spread over the
// step's sequences: weights.* for the cell's weighting, weights.token_mean.* for a token mean's)
// under step `index`.
void record_step(MetricWriter& metrics, int64_t index, const StepRecord& r);

}  // namespace longalign::host
