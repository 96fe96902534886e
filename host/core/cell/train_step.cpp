#include "cell/train_step.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "cell/step_batches.h"
#include "store/store.h"
#include "util/crash_point.h"

namespace longalign::host {

StepRecord train_step(StepTrainer& trainer, LossWeightingInstance& loss, const Plan& plan, const la_range& step,
                      const Dataset& d, const std::vector<uint32_t>& n_i, RankPlace place, bool restart_positions,
                      int64_t index) {
  // With several ranks, each trains its share of the step's micro-batches; the weights are
  // computed over the whole step (every rank the same), so the summed gradient is the step's.
  const std::vector<uint32_t> rank_of = place.world > 1 ? assign_ranks(plan, step, place.world) : std::vector<uint32_t>{};
  const WeighedStep weighed = weigh_step(loss, plan, step, d, n_i, rank_of, place.world, index);
  StepRecord r;
  r.weight_sum = weighed.weight_sum;
  r.target_tokens = weighed.targets;
  r.spread = step_weight_spread(weighed.segments, weighed.weights);
  r.micro_batches = step.count;
  for (uint32_t m = step.first; m < step.first + step.count; ++m)
    for (uint32_t row = plan.micro_batches[m].first; row < plan.micro_batches[m].first + plan.micro_batches[m].count; ++row) {
      const la_row& rw = plan.rows[row];
      r.padded_slots += rw.width;
      for (uint32_t s = rw.first_segment; s < rw.first_segment + rw.n_segments; ++s) {
        r.real_tokens += plan.segments[s].length;
        r.sequences += plan.segments[s].offset == 0;
      }
    }
  r.padded_slots -= r.real_tokens;
  std::vector<engine::MicroBatch> mbs = micro_batches(plan, step, d, weighed.weights, restart_positions);
  if (place.world > 1) {
    std::vector<engine::MicroBatch> mine;
    for (size_t k = 0; k < mbs.size(); ++k)
      if (rank_of[k] == place.rank) mine.push_back(std::move(mbs[k]));
    mbs = std::move(mine);
  }
  r.stats = trainer.step(mbs);
  crash_point("cell.step");  // the step is taken, its metrics not yet stored
  if (!std::isfinite(r.stats.loss))
    throw std::runtime_error("the loss is " + std::to_string(r.stats.loss) + " at step " + std::to_string(index));
  return r;
}

void record_step(MetricWriter& metrics, int64_t index, const StepRecord& r) {
  const engine::StepStats& s = r.stats;
  for (auto [name, value] : {std::pair<const char*, double>{"loss", s.loss},
                             {"lr", s.lr},
                             {"grad_norm", s.grad_norm},
                             {"step_seconds", s.seconds},
                             {"forward_seconds", s.forward_seconds},
                             {"backward_seconds", s.backward_seconds},
                             {"attention_seconds", s.attention_seconds},
                             {"loss_head_seconds", s.loss_seconds},
                             {"optimizer_seconds", s.optimizer_seconds},
                             {"tokens_per_s", r.tokens_per_s()},
                             {"sequences", r.sequences},
                             {"real_tokens", r.real_tokens},
                             {"padded_slots", r.padded_slots},
                             {"target_tokens", r.target_tokens},
                             {"weight_sum", r.weight_sum},
                             {"micro_batches", static_cast<double>(r.micro_batches)}})
    metrics.add(index, name, value);
  for (auto [prefix, w] : {std::pair<std::string, const WeightSpread*>{"weights.", &r.spread.weighting}, {"weights.token_mean.", &r.spread.token_mean}}) {
    metrics.add(index, prefix + "longest_quarter_share", w->longest_quarter_share);
    metrics.add(index, prefix + "min", w->min);
    metrics.add(index, prefix + "median", w->median);
    metrics.add(index, prefix + "max", w->max);
  }
}

}  // namespace longalign::host
