// token-mean-per-row: what packing computes without loss weighting (the paper's Eq. 3): a token
// mean within each row, then a mean over the step's rows. w = 1 / (R * N_row), R the rows that
// hold any target token. Sequences in crowded rows count for less.
#include <longalign/plugin.hpp>

#include <map>

namespace {

class TokenMeanPerRow : public longalign::LossWeighting {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("token-mean-per-row", "1.0.0",
                             "Token mean per row, then mean over rows (packing without weighting, the paper's Eq. 3)");
  }
  TokenMeanPerRow(const longalign::Params&, const longalign::Host&) {}

  void weigh(const la_step& step, std::vector<double>& weights) override {
    std::map<uint32_t, double> row_targets;
    for (size_t i = 0; i < step.n_segments; ++i) row_targets[step.segments[i].row] += step.segments[i].targets;
    double rows = 0;
    for (auto& [row, n] : row_targets) rows += n > 0;
    for (size_t i = 0; i < step.n_segments; ++i) {
      double n = row_targets[step.segments[i].row];
      weights[i] = n > 0 ? 1.0 / (rows * n) : 0.0;
    }
  }
};

}  // namespace

LONGALIGN_PLUGIN(TokenMeanPerRow)
