// longalign: the paper's loss weighting (Eq. 4), exact for any split of the step. Each target
// token of sequence i weighs 1 / (N_i * M), M the sequences of the whole step (every micro-batch,
// every rank) that have targets; so the step's loss is the per-sequence mean (1/M) sum_i L_i/N_i
// that one sequence per GPU computes, however the sequences were packed or accumulated.
#include <longalign/plugin.hpp>

#include <set>

namespace {

class LongAlign : public longalign::LossWeighting {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("longalign", "1.0.0",
                             "Per-sequence mean over the whole step: w = 1 / (N_i * M) (the paper's Eq. 4, exact at any scale)");
  }
  LongAlign(const longalign::Params&, const longalign::Host&) {}

  void weigh(const la_step& step, std::vector<double>& weights) override {
    std::set<uint32_t> sequences;  // with targets; the pieces of a split sequence count once
    for (size_t i = 0; i < step.n_segments; ++i)
      if (step.segments[i].sequence_targets > 0) sequences.insert(step.segments[i].sequence);
    const double m = static_cast<double>(sequences.size());
    for (size_t i = 0; i < step.n_segments; ++i) {
      const la_step_segment& s = step.segments[i];
      weights[i] = s.sequence_targets > 0 ? 1.0 / (static_cast<double>(s.sequence_targets) * m) : 0.0;
    }
  }
};

}  // namespace

LONGALIGN_PLUGIN(LongAlign)
