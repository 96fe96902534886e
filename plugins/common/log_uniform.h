// The input lengths of the long-task sources (corpus-tasks, ruler-tasks): drawn log-uniformly, so
// each octave of lengths gets as many examples as the next.
#pragma once
#include <longalign/batching.hpp>

#include <cmath>
#include <cstddef>

namespace longalign::plugins {

// A length in [lo, hi] (lo itself when they are equal); one uniform draw from rng either way.
inline size_t log_uniform_length(Rng& rng, size_t lo, size_t hi) {
  const double u = rng.uniform();
  if (lo == hi) return lo;
  const double a = std::log(static_cast<double>(lo)), b = std::log(static_cast<double>(hi));
  return static_cast<size_t>(std::exp(a + u * (b - a)));
}

}  // namespace longalign::plugins
