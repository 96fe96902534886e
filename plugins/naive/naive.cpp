// naive: the paper's baseline batching. Shuffle the sequences, cut them into micro-batches of
// rows_per_micro_batch, one sequence per row, each micro-batch padded to its longest sequence.
// A template for batching plugins.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <algorithm>

namespace {

class Naive : public longalign::Batching {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("naive", "1.0.0",
                             "Random micro-batches of rows_per_micro_batch sequences, padded to the longest (the paper's baseline)")
        .param(longalign::Param::boolean("drop_last", false, "Drop the last micro-batch when it is not full"))
        .param(longalign::Param::string("reshuffle", "per-epoch", "Draw a new order each epoch, or keep the first")
                   .choices({"per-epoch", "once"}));
  }

  Naive(const longalign::Params& p, const longalign::Host&)
      : drop_last_(p.get_bool("drop_last")), per_epoch_(p.get_string("reshuffle") == "per-epoch") {}

  longalign::Plan plan(const la_batch_input& in) override {
    longalign::Plan plan;
    plan.layout = LA_LAYOUT_PADDED;
    std::vector<uint32_t> order;
    for (uint32_t i = 0; i < in.n_sequences; ++i) {
      if (in.lengths[i] > in.max_tokens)
        plan.dropped.emplace_back(i, "longer than max_tokens");
      else if (in.lengths[i] > 0)
        order.push_back(i);
      else
        plan.dropped.emplace_back(i, "empty");
    }
    auto rng = longalign::Rng::for_epoch(in.seed, per_epoch_ ? in.epoch : 0);
    longalign::shuffle(order, rng);

    const size_t b = in.rows_per_micro_batch;
    for (size_t start = 0; start < order.size(); start += b) {
      size_t end = std::min(order.size(), start + b);
      if (end - start < b && drop_last_) {
        for (size_t k = start; k < end; ++k) plan.dropped.emplace_back(order[k], "in the last, partial micro-batch (drop_last)");
        break;
      }
      longalign::add_padded_micro_batch(plan, in, order.data() + start, end - start);
    }
    longalign::group_into_steps(in, plan);
    return plan;
  }

 private:
  bool drop_last_, per_epoch_;
};

}  // namespace

LONGALIGN_PLUGIN(Naive)
