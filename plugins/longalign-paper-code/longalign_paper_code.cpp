// longalign-paper-code: the loss weighting as the paper's public code computes it, to measure
// where it departs from `longalign`. Each target token of sequence i weighs 1/N_i; the collator
// multiplies by K / M_g, K the GPU count and M_g the sequences of the "group" of K consecutive
// packs that the first pack of the batch belongs to; the data-parallel trainer then averages over
// the K ranks and divides by the accumulation steps A:
//     w = K / (N_i * M_g) / (K * A) = 1 / (N_i * M_g * A)
// Here group g is micro-batch m's first row on every rank (one pack per GPU, as the paper ran).
// With one row per micro-batch and A = 1 this equals `longalign`; with accumulation each
// micro-batch is normalised alone, and with several rows per micro-batch M_g misses the rows
// after the first, so the weights no longer sum to 1 (the flag below tells `plugin check`).
#include <longalign/plugin.hpp>

#include <map>
#include <set>
#include <utility>

namespace {

class PaperCode : public longalign::LossWeighting {
 public:
  static constexpr uint32_t flags = LA_WEIGHTS_UNNORMALIZED;

  static longalign::Plugin describe() {
    return longalign::Plugin("longalign-paper-code", "1.0.0",
                             "The public LongAlign code's weighting: K / (N_i * M_group), averaged over ranks and "
                             "divided by accumulation steps (exact only for one pack per GPU, no accumulation)");
  }
  PaperCode(const longalign::Params&, const longalign::Host&) {}

  void weigh(const la_step& step, std::vector<double>& weights) override {
    // The first row of each (rank, micro-batch): the pack whose group the collator uses.
    std::map<std::pair<uint32_t, uint32_t>, uint32_t> first_row;
    for (size_t i = 0; i < step.n_segments; ++i) {
      const la_step_segment& s = step.segments[i];
      auto key = std::make_pair(s.rank, s.micro_batch);
      auto it = first_row.find(key);
      if (it == first_row.end() || s.row < it->second) first_row[key] = s.row;
    }
    // M_g per micro-batch index: sequences with targets in the first rows of every rank.
    std::map<uint32_t, std::set<uint32_t>> group;
    for (size_t i = 0; i < step.n_segments; ++i) {
      const la_step_segment& s = step.segments[i];
      if (s.sequence_targets > 0 && first_row[{s.rank, s.micro_batch}] == s.row) group[s.micro_batch].insert(s.sequence);
    }
    const double accum = step.micro_batches_per_rank;
    for (size_t i = 0; i < step.n_segments; ++i) {
      const la_step_segment& s = step.segments[i];
      const double m_g = static_cast<double>(group[s.micro_batch].size());
      weights[i] = s.sequence_targets > 0 && m_g > 0 ? 1.0 / (static_cast<double>(s.sequence_targets) * m_g * accum) : 0.0;
    }
  }
};

}  // namespace

LONGALIGN_PLUGIN(PaperCode)
