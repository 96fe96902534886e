// sqrt-mean: between the token mean (a sequence weighs by its N_i target tokens) and the
// sequence mean (every sequence the same): sequence i weighs by sqrt(N_i), so each of its target
// tokens by 1 / sqrt(N_i), normalised over the whole step so the weights sum to 1.
#include <longalign/plugin.hpp>

#include <cmath>
#include <map>

class SqrtMean : public longalign::LossWeighting {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("sqrt-mean", "0.1.0", "Sequence i weighs by sqrt(N_i): w = 1 / (sqrt(N_i) * sum_j sqrt(N_j))");
  }
  SqrtMean(const longalign::Params&, const longalign::Host&) {}

  void weigh(const la_step& step, std::vector<double>& weights) override {
    std::map<uint32_t, double> n_i;  // the pieces of a split sequence share its N_i
    for (size_t k = 0; k < step.n_segments; ++k) n_i[step.segments[k].sequence] = step.segments[k].sequence_targets;
    double total = 0;
    for (auto& [sequence, n] : n_i) total += std::sqrt(n);
    for (size_t k = 0; k < step.n_segments; ++k) {
      const double n = step.segments[k].sequence_targets;
      weights[k] = n > 0 ? 1.0 / (std::sqrt(n) * total) : 0.0;
    }
  }
};

LONGALIGN_PLUGIN(SqrtMean)
