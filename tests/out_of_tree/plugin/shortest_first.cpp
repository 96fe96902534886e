// shortest-first: a curriculum. One sequence per row, the shortest first, micro-batches of
// rows_per_micro_batch padded to their longest: a model meets short contexts before long ones.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <algorithm>

class ShortestFirst : public longalign::Batching {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("shortest-first", "0.1.0", "A curriculum: sequences in order of length, shortest first");
  }
  ShortestFirst(const longalign::Params&, const longalign::Host&) {}

  longalign::Plan plan(const la_batch_input& in) override {
    longalign::Plan plan;
    plan.layout = LA_LAYOUT_PADDED;
    std::vector<uint32_t> order;
    for (uint32_t i = 0; i < in.n_sequences; ++i) {
      if (in.lengths[i] > in.max_tokens) plan.dropped.emplace_back(i, "longer than max_tokens");
      else if (in.lengths[i] == 0) plan.dropped.emplace_back(i, "empty");
      else order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return in.lengths[a] < in.lengths[b]; });
    for (size_t start = 0; start < order.size(); start += in.rows_per_micro_batch) {
      const size_t n = std::min<size_t>(in.rows_per_micro_batch, order.size() - start);
      longalign::add_padded_micro_batch(plan, in, order.data() + start, n);
    }
    longalign::group_into_steps(in, plan);  // by sequences_per_step or tokens_per_step
    return plan;
  }
};

LONGALIGN_PLUGIN(ShortestFirst)
