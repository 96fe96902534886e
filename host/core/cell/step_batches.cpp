#include "cell/step_batches.h"

#include "batching/plan_check.h"
#include "plugin/instance.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace longalign::host {

std::vector<Plan> plan_epochs(BatchingInstance& batching, const Dataset& d, const TrainSection& train, uint64_t seed) {
  la_batch_input in{};
  in.struct_size = sizeof in;
  in.lengths = d.lengths.data();
  in.targets = d.targets.data();
  in.n_sequences = d.lengths.size();
  in.max_tokens = static_cast<uint32_t>(train.max_tokens);
  in.rows_per_micro_batch = static_cast<uint32_t>(train.rows_per_micro_batch);
  in.sequences_per_step = static_cast<uint32_t>(train.sequences_per_step);
  in.tokens_per_step = static_cast<uint64_t>(train.tokens_per_step);
  in.seed = seed;
  std::vector<Plan> plans;
  for (int64_t epoch = 0; epoch < train.epochs; ++epoch) {
    in.epoch = static_cast<uint32_t>(epoch);
    plans.push_back(batching.plan(in));
    if (auto why = check_plan(in, plans.back()); !why.empty())
      throw std::runtime_error("plugin '" + batching.info().name + "' returned an invalid plan for epoch " +
                               std::to_string(epoch) + ": " + why);
  }
  return plans;
}

WeighedStep weigh_step(LossWeightingInstance& loss, const Plan& plan, const la_range& step, const Dataset& d,
                       const std::vector<uint32_t>& n_i, const std::vector<uint32_t>& rank_of, uint32_t world_size,
                       int64_t index) {
  WeighedStep out;
  out.segments = step_segments(plan, step, d, n_i, rank_of);
  uint32_t per_rank = world_size > 1 ? 0 : step.count;
  for (uint32_t r = 0; r < world_size && world_size > 1; ++r)
    per_rank = std::max<uint32_t>(per_rank, static_cast<uint32_t>(std::count(rank_of.begin(), rank_of.end(), r)));
  la_step st{sizeof(la_step), out.segments.data(), out.segments.size(), 0, world_size, std::max<uint32_t>(1, per_rank)};
  for (auto& s : out.segments) st.n_rows = std::max(st.n_rows, s.row + 1);
  out.weights = loss.weigh(st);
  for (size_t i = 0; i < out.segments.size(); ++i) {
    if (!std::isfinite(out.weights[i]) || out.weights[i] < 0)
      throw std::runtime_error("plugin '" + loss.info().name + "' gave a weight of " + std::to_string(out.weights[i]) +
                               " in step " + std::to_string(index));
    out.weight_sum += out.weights[i] * out.segments[i].targets;
    out.targets += out.segments[i].targets;
  }
  if (loss.normalized() && out.targets > 0 && std::fabs(out.weight_sum - 1.0) > 1e-6)
    throw std::runtime_error("plugin '" + loss.info().name + "' weights sum to " + std::to_string(out.weight_sum) +
                             " over step " + std::to_string(index) + "'s target tokens, not 1");
  return out;
}

uint32_t piece_targets(const Tokenized& t, const la_segment& seg) {
  uint32_t n = 0;
  for (uint32_t k = 1; k < seg.length; ++k) n += t.target[seg.offset + k];
  return n;
}

// N_i for every sequence of a plan: the targets of all its pieces, which share it.
std::vector<uint32_t> sequence_targets(const Plan& plan, const Dataset& d) {
  std::vector<uint32_t> n(d.tokens.size(), 0);
  for (auto& seg : plan.segments) n[seg.sequence] += piece_targets(d.tokens[seg.sequence], seg);
  return n;
}

std::vector<uint32_t> assign_ranks(const Plan& plan, const la_range& step, uint32_t world_size) {
  // A micro-batch's cost: per row, attention (sum n_i^2 over its packed sequences, width^2 for a
  // padded row) plus the per-token work (its width; rows are padded to the widest).
  std::vector<std::pair<uint64_t, uint32_t>> cost;  // (cost, micro-batch within the step)
  for (uint32_t m = 0; m < step.count; ++m) {
    const la_range& mb = plan.micro_batches[step.first + m];
    uint64_t width = 0, attention = 0;
    for (uint32_t r = mb.first; r < mb.first + mb.count; ++r) {
      const la_row& row = plan.rows[r];
      width = std::max<uint64_t>(width, row.width);
      if (plan.layout == LA_LAYOUT_PACKED)
        for (uint32_t s = row.first_segment; s < row.first_segment + row.n_segments; ++s)
          attention += static_cast<uint64_t>(plan.segments[s].length) * plan.segments[s].length;
    }
    if (plan.layout != LA_LAYOUT_PACKED) attention = static_cast<uint64_t>(mb.count) * width * width;
    cost.push_back({attention + static_cast<uint64_t>(mb.count) * width, m});
  }
  std::stable_sort(cost.begin(), cost.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<uint64_t> load(world_size, 0);
  std::vector<uint32_t> rank_of(step.count, 0);
  for (auto& [c, m] : cost) {
    const auto r = static_cast<uint32_t>(std::min_element(load.begin(), load.end()) - load.begin());
    rank_of[m] = r;
    load[r] += c;
  }
  return rank_of;
}

std::vector<la_step_segment> step_segments(const Plan& plan, const la_range& step, const Dataset& d,
                                           const std::vector<uint32_t>& n_i, const std::vector<uint32_t>& rank_of) {
  std::vector<la_step_segment> segs;
  uint32_t row_in_step = 0;
  std::vector<uint32_t> seen_on_rank;  // micro-batches already placed on each rank
  for (uint32_t m = step.first; m < step.first + step.count; ++m) {
    const uint32_t rank = rank_of.empty() ? 0 : rank_of[m - step.first];
    if (seen_on_rank.size() <= rank) seen_on_rank.resize(rank + 1, 0);
    const uint32_t within = seen_on_rank[rank]++;
    const la_range& mb = plan.micro_batches[m];
    for (uint32_t r = mb.first; r < mb.first + mb.count; ++r, ++row_in_step) {
      const la_row& row = plan.rows[r];
      for (uint32_t s = row.first_segment; s < row.first_segment + row.n_segments; ++s) {
        const la_segment& seg = plan.segments[s];
        segs.push_back({seg.sequence, rank, within, row_in_step, piece_targets(d.tokens[seg.sequence], seg),
                        n_i[seg.sequence]});
      }
    }
  }
  return segs;
}

// The engine's micro-batches for one step: token ids, positions, boundaries, and each target
// token's weight (its segment's weight from the loss-weighting plugin).
std::vector<engine::MicroBatch> micro_batches(const Plan& plan, const la_range& step, const Dataset& d,
                                              const std::vector<double>& weights, bool restart_positions) {
  std::vector<engine::MicroBatch> out;
  size_t seg_index = 0;  // weights follow step_segments()'s order
  for (uint32_t m = step.first; m < step.first + step.count; ++m) {
    const la_range& mbr = plan.micro_batches[m];
    engine::MicroBatch mb;
    mb.packed = plan.layout == LA_LAYOUT_PACKED;
    mb.rows = mbr.count;
    for (uint32_t r = mbr.first; r < mbr.first + mbr.count; ++r) mb.width = std::max<int64_t>(mb.width, plan.rows[r].width);
    const size_t n = static_cast<size_t>(mb.rows * mb.width);
    mb.ids.assign(n, d.pad);
    mb.positions.assign(n, 0);
    mb.weights.assign(n, 0.0f);
    for (uint32_t r = mbr.first; r < mbr.first + mbr.count; ++r) {
      const la_row& row = plan.rows[r];
      const size_t base = static_cast<size_t>(r - mbr.first) * static_cast<size_t>(mb.width);
      std::vector<int64_t> cu = {0};
      size_t at = 0;
      for (uint32_t s = row.first_segment; s < row.first_segment + row.n_segments; ++s, ++seg_index) {
        const la_segment& seg = plan.segments[s];
        const Tokenized& t = d.tokens[seg.sequence];
        const float w = static_cast<float>(weights[seg_index]);
        for (uint32_t k = 0; k < seg.length; ++k, ++at) {
          mb.ids[base + at] = t.ids[seg.offset + k];
          mb.positions[base + at] = restart_positions ? static_cast<int64_t>(seg.offset + k) : static_cast<int64_t>(at);
          // A piece's first token has no predecessor in this row: it cannot be predicted here.
          mb.weights[base + at] = (k > 0 && t.target[seg.offset + k]) ? w : 0.0f;
        }
        cu.push_back(static_cast<int64_t>(at));
      }
      // Padded slots repeat the row's last position: they are never targets.
      for (size_t k = at; k < static_cast<size_t>(mb.width); ++k) mb.positions[base + k] = at ? mb.positions[base + at - 1] : 0;
      mb.cu_seqlens.push_back(std::move(cu));
    }
    out.push_back(std::move(mb));
  }
  return out;
}

}  // namespace longalign::host
