// sorted: the paper's sorted batching. Sort sequences by length, cut them into micro-batches of
// rows_per_micro_batch (one sequence per row, padded to the longest), then shuffle the order of
// the micro-batches: once for the whole run (the paper's) or anew each epoch.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <algorithm>
#include <numeric>

namespace {

class Sorted : public longalign::Batching {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("sorted", "1.0.0",
                             "Sort by length, cut into micro-batches, shuffle their order (the paper's sorted batching)")
        .param(longalign::Param::string("remainder", "drop", "The last, partial micro-batch: drop it (the paper) or keep it")
                   .choices({"drop", "keep"}))
        .param(longalign::Param::string("reshuffle", "once", "Shuffle the micro-batch order once (the paper) or each epoch")
                   .choices({"once", "per-epoch"}));
  }

  Sorted(const longalign::Params& p, const longalign::Host&)
      : drop_(p.get_string("remainder") == "drop"), per_epoch_(p.get_string("reshuffle") == "per-epoch") {}

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
    const size_t b = in.rows_per_micro_batch;
    std::vector<std::pair<size_t, size_t>> batches;  // [begin, end) into order
    for (size_t s = 0; s < order.size(); s += b) {
      size_t e = std::min(order.size(), s + b);
      if (e - s < b && drop_) {
        for (size_t k = s; k < e; ++k) plan.dropped.emplace_back(order[k], "in the last, partial micro-batch (remainder = drop)");
        break;
      }
      batches.emplace_back(s, e);
    }
    auto rng = longalign::Rng::for_epoch(in.seed, per_epoch_ ? in.epoch : 0);
    longalign::shuffle(batches, rng);
    for (auto [s, e] : batches) longalign::add_padded_micro_batch(plan, in, order.data() + s, e - s);
    longalign::group_into_steps(in, plan);
    return plan;
  }

 private:
  bool drop_, per_epoch_;
};

}  // namespace

LONGALIGN_PLUGIN(Sorted)
