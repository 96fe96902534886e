// Conformance of loss weightings: finite non-negative weights that sum to 1 over a step's target
// tokens (the loss contract of the SDK's la_step; a plugin flagged LA_WEIGHTS_UNNORMALIZED is exempt from the
// sum), the same weights for the same step, and an inconsistent step rejected as an error value.
#include <cmath>
#include <random>

#include "check/conformance.h"
#include "plugin/instance.h"

namespace longalign::host::checks {
namespace {

struct Step {
  std::vector<la_step_segment> segments;
  la_step raw{};
};

// A step over `world` ranks x `accum` micro-batches, rows of 1-4 segments; some sequences are
// split across two rows (their pieces share N_i) and some have no target tokens.
std::unique_ptr<Step> make_step(uint32_t world, uint32_t accum, uint64_t seed) {
  auto st = std::make_unique<Step>();
  std::mt19937_64 rng(seed);
  uint32_t row = 0, seq = 0;
  for (uint32_t rank = 0; rank < world; ++rank)
    for (uint32_t mb = 0; mb < accum; ++mb) {
      uint32_t rows = 1 + rng() % 3;
      for (uint32_t r = 0; r < rows; ++r, ++row) {
        uint32_t segs = 1 + rng() % 4;
        for (uint32_t k = 0; k < segs; ++k, ++seq) {
          uint32_t n = (seq % 9 == 4) ? 0 : 1 + static_cast<uint32_t>(rng() % 500);
          if (seq % 11 == 6 && n >= 2 && r + 1 < rows) {
            // Split: part here, the rest in the next row of the same micro-batch.
            uint32_t here = n / 2;
            st->segments.push_back({seq, rank, mb, row, here, n});
            st->segments.push_back({seq, rank, mb, row + 1, n - here, n});
          } else {
            st->segments.push_back({seq, rank, mb, row, n, n});
          }
        }
      }
    }
  la_step& s = st->raw;
  s.struct_size = sizeof s;
  s.segments = st->segments.data();
  s.n_segments = st->segments.size();
  s.n_rows = row;
  s.world_size = world;
  s.micro_batches_per_rank = accum;
  return st;
}

}  // namespace

void loss_weighting(const std::shared_ptr<PluginLibrary>& lib, const nlohmann::json& params, const Report& report) {
  run_check(report, "weights finite, non-negative, summing to 1", [&] {
    LossWeightingInstance w(lib, params);
    size_t steps = 0;
    double worst = 0;
    for (uint32_t world : {1u, 2u})
      for (uint32_t accum : {1u, 2u, 4u})
        for (uint64_t seed = 0; seed < 5; ++seed, ++steps) {
          auto st = make_step(world, accum, seed * 131 + world * 7 + accum);
          auto weights = w.weigh(st->raw);
          double sum = 0;
          for (size_t i = 0; i < weights.size(); ++i) {
            if (!std::isfinite(weights[i]) || weights[i] < 0)
              throw std::runtime_error("segment " + std::to_string(i) + " has weight " + std::to_string(weights[i]));
            sum += weights[i] * st->segments[i].targets;
          }
          worst = std::max(worst, std::fabs(sum - 1.0));
          if (w.normalized() && std::fabs(sum - 1.0) > 1e-9)
            throw std::runtime_error("weights sum to " + std::to_string(sum) + " over the target tokens of a step with world size " +
                                     std::to_string(world) + " and " + std::to_string(accum) + " micro-batches per rank");
        }
    if (!w.normalized())
      return std::to_string(steps) + " steps; flagged unnormalized, sums depart from 1 by up to " + std::to_string(worst);
    return std::to_string(steps) + " steps (world 1-2, accumulation 1-4, split and target-less sequences): sums within 1e-9 of 1";
  });
  run_check(report, "deterministic", [&] {
    LossWeightingInstance a(lib, params), b(lib, params);
    auto st = make_step(2, 2, 99);
    auto wa = a.weigh(st->raw);
    if (wa != b.weigh(st->raw) || wa != a.weigh(st->raw)) throw std::runtime_error("the same step got different weights");
    return std::string("the same step gets the same weights");
  });
  run_check(report, "inconsistent step is an error value", [&] {
    LossWeightingInstance w(lib, params);
    auto st = make_step(1, 2, 3);
    st->segments[0].targets = st->segments[0].sequence_targets + 1;
    try {
      w.weigh(st->raw);
    } catch (const PluginCallError& e) {
      if (e.status() != LA_ERR_INVALID_ARGUMENT) throw std::runtime_error(std::string("wrong status: ") + e.what());
      return std::string("a segment with more targets than its sequence gives LA_ERR_INVALID_ARGUMENT");
    }
    throw std::runtime_error("weights were returned for a segment with more targets than its sequence");
  });
}

}  // namespace longalign::host::checks
