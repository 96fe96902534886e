// Helpers for batching-strategy authors: a portable random generator and shuffle (std::shuffle
// differs between standard libraries, so plans would too), and the grouping of micro-batches
// into optimizer steps by the host's sequence or token budget. Standard library only.
#ifndef LONGALIGN_BATCHING_HPP
#define LONGALIGN_BATCHING_HPP

#include <longalign/plugin.hpp>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace longalign {

// SplitMix64: tiny, fast, and the same sequence on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  // A generator for (seed, epoch): plans differ across epochs only when a strategy asks so.
  static Rng for_epoch(uint64_t seed, uint32_t epoch) { return Rng(seed * 0x9E3779B97F4A7C15ull + epoch + 1); }
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; bias below 2^-32 for our sizes).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Standard normal (Box-Muller, one draw of the pair).
  double normal() {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t state_;
};

// Fisher-Yates, the same order on every platform for the same generator state.
template <typename T>
void shuffle(std::vector<T>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

// Appends one padded micro-batch: sequences seqs[0..n), one per row, each row as wide as the
// longest of them.
inline void add_padded_micro_batch(Plan& plan, const la_batch_input& in, const uint32_t* seqs, size_t n) {
  uint32_t width = 0;
  for (size_t k = 0; k < n; ++k) width = in.lengths[seqs[k]] > width ? in.lengths[seqs[k]] : width;
  plan.micro_batches.push_back({static_cast<uint32_t>(plan.rows.size()), static_cast<uint32_t>(n)});
  for (size_t k = 0; k < n; ++k) {
    plan.rows.push_back({static_cast<uint32_t>(plan.segments.size()), 1, width});
    plan.segments.push_back({seqs[k], 0, in.lengths[seqs[k]]});
  }
}

// Fills plan.steps: consecutive micro-batches join a step until it holds sequences_per_step
// sequences (counting each sequence once, however it was split) or tokens_per_step real tokens;
// the last step may be smaller. With neither budget set, each micro-batch is a step.
inline void group_into_steps(const la_batch_input& in, Plan& plan) {
  plan.steps.clear();
  uint32_t first = 0;
  uint64_t seqs = 0, tokens = 0;
  for (uint32_t m = 0; m < plan.micro_batches.size(); ++m) {
    const la_range& mb = plan.micro_batches[m];
    for (uint32_t r = mb.first; r < mb.first + mb.count; ++r) {
      const la_row& row = plan.rows[r];
      for (uint32_t s = row.first_segment; s < row.first_segment + row.n_segments; ++s) {
        seqs += plan.segments[s].offset == 0;  // a sequence counts where its first piece lies
        tokens += plan.segments[s].length;
      }
    }
    bool full = (!in.sequences_per_step && !in.tokens_per_step) ||  // no budget: one micro-batch a step
                (in.sequences_per_step && seqs >= in.sequences_per_step) ||
                (in.tokens_per_step && tokens >= in.tokens_per_step);
    if (full || m + 1 == plan.micro_batches.size()) {
      plan.steps.push_back({first, m + 1 - first});
      first = m + 1;
      seqs = tokens = 0;
    }
  }
}

}  // namespace longalign

#endif  // LONGALIGN_BATCHING_HPP
