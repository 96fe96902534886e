// token-mean: every target token of the optimizer step weighs the same, w = 1 / sum_i N_i over
// all ranks and micro-batches (the TRL / Hugging Face default). Long answers dominate the loss.
// A template for loss-weighting plugins.
#include <longalign/plugin.hpp>

namespace {

class TokenMean : public longalign::LossWeighting {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("token-mean", "1.0.0",
                             "Mean over every target token of the step: w = 1 / (sum of target tokens)");
  }

  TokenMean(const longalign::Params&, const longalign::Host&) {}

  void weigh(const la_step& step, std::vector<double>& weights) override {
    double total = 0;
    for (size_t i = 0; i < step.n_segments; ++i) total += step.segments[i].targets;
    if (total == 0) return;  // nothing to learn from: all weights stay 0
    for (auto& w : weights) w = 1.0 / total;
  }
};

}  // namespace

LONGALIGN_PLUGIN(TokenMean)
