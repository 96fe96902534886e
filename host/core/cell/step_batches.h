// From a batch plan's optimizer step to what the loss weighting and the engine take: the step's
// segments (with each piece's trainable targets and its sequence's N_i), and the engine's
// micro-batches with a weight on every target token.
#pragma once
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include <vector>

#include "cell/cell_config.h"
#include "cell/dataset.h"
#include "engine.h"

namespace longalign::host {

class BatchingInstance;

// Every epoch's plan for the data, with the cell's budget (train.max_tokens and the step's size);
// each plan is checked (check_plan) and an invalid one is an error naming the plugin.
std::vector<Plan> plan_epochs(BatchingInstance& batching, const Dataset& d, const TrainSection& train, uint64_t seed);

// Target tokens a piece can be trained on: its first token has no predecessor in its row.
uint32_t piece_targets(const Tokenized& t, const la_segment& seg);

// N_i for every sequence of a plan: the trainable targets of all its pieces, which share it.
std::vector<uint32_t> sequence_targets(const Plan& plan, const Dataset& d);

// Which rank trains each micro-batch of a step, for data parallelism: the costliest first to
// the least loaded rank (cost: attention, sum n_i^2, plus the rows' tokens), ties to the lower
// rank. Deterministic. Ranks may get different numbers of micro-batches: a step needs one
// collective, whatever each rank holds, so none waits on another's count.
std::vector<uint32_t> assign_ranks(const Plan& plan, const la_range& step, uint32_t world_size);

// One optimizer step as the loss weighting sees it, in plan order: each segment's rank and
// micro-batch within that rank from rank_of (empty: all on rank 0, in order).
std::vector<la_step_segment> step_segments(const Plan& plan, const la_range& step, const Dataset& d,
                                           const std::vector<uint32_t>& n_i, const std::vector<uint32_t>& rank_of = {});

class LossWeightingInstance;

// One optimizer step weighed: its segments, the weight the loss weighting gave each, and their
// sum over the step's target tokens.
struct WeighedStep {
  std::vector<la_step_segment> segments;
  std::vector<double> weights;
  double weight_sum = 0, targets = 0;
};

// Weighs step `index` of a plan (its segments as step_segments() makes them, over `world_size`
// ranks as rank_of assigns them) and checks the weights: finite and non-negative, and for a
// normalised weighting summing to 1 over the step's target tokens. Throws std::runtime_error
// naming the plugin and the step.
WeighedStep weigh_step(LossWeightingInstance& loss, const Plan& plan, const la_range& step, const Dataset& d,
                       const std::vector<uint32_t>& n_i, const std::vector<uint32_t>& rank_of, uint32_t world_size,
                       int64_t index);

// The engine's micro-batches for one step; weights[k] is step_segments()[k]'s weight.
std::vector<engine::MicroBatch> micro_batches(const Plan& plan, const la_range& step, const Dataset& d,
                                              const std::vector<double>& weights, bool restart_positions);

}  // namespace longalign::host
