// Conformance of batching strategies: valid plans (check_plan) on inputs of several shapes,
// the same plan for the same seed and epoch, and a zero budget rejected as an error value.
#include <random>

#include "batching/plan_check.h"
#include "check/conformance.h"
#include "plugin/instance.h"

namespace longalign::host::checks {
namespace {

struct Input {
  std::vector<uint32_t> lengths, targets;
  la_batch_input raw{};
};

// Lengths spread over two orders of magnitude, a few over max_tokens, targets <= length.
std::unique_ptr<Input> make_input(size_t n, uint32_t max_tokens, uint64_t seed, bool overlong) {
  auto in = std::make_unique<Input>();
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < n; ++i) {
    uint32_t len = 1 + static_cast<uint32_t>(rng() % (overlong && i % 10 == 3 ? 3 * max_tokens : max_tokens));
    in->lengths.push_back(len);
    in->targets.push_back(i % 7 == 5 ? 0 : 1 + static_cast<uint32_t>(rng() % len));
  }
  la_batch_input& r = in->raw;
  r.struct_size = sizeof r;
  r.lengths = in->lengths.data();
  r.targets = in->targets.data();
  r.n_sequences = n;
  r.max_tokens = max_tokens;
  r.rows_per_micro_batch = 4;
  r.sequences_per_step = 16;
  r.seed = 11;
  r.epoch = 0;
  return in;
}

}  // namespace

void batching(const std::shared_ptr<PluginLibrary>& lib, const nlohmann::json& params, const Report& report) {
  struct Case {
    const char* name;
    size_t n;
    uint32_t max_tokens;
    bool overlong;
  };
  const Case cases[] = {{"empty input", 0, 64, false},
                        {"one sequence", 1, 64, false},
                        {"300 mixed lengths", 300, 64, false},
                        {"300 with over-long sequences", 300, 64, true},
                        {"2000 mixed lengths, wide rows", 2000, 4096, false}};
  for (const Case& c : cases) {
    run_check(report, std::string("valid plan: ") + c.name, [&] {
      BatchingInstance b(lib, params);
      auto in = make_input(c.n, c.max_tokens, 42 + c.n, c.overlong);
      Plan p = b.plan(in->raw);
      if (auto why = check_plan(in->raw, p); !why.empty()) throw std::runtime_error(why);
      return std::to_string(p.rows.size()) + " rows, " + std::to_string(p.steps.size()) + " steps, " +
             std::to_string(p.dropped.size()) + " dropped (each with a reason)";
    });
  }
  run_check(report, "deterministic for a seed and epoch", [&] {
    BatchingInstance a(lib, params), b(lib, params);
    auto in = make_input(300, 64, 5, true);
    for (uint32_t epoch : {0u, 1u}) {
      in->raw.epoch = epoch;
      if (!same_plan(a.plan(in->raw), b.plan(in->raw)))
        throw std::runtime_error("two instances gave different plans for seed 11, epoch " + std::to_string(epoch));
    }
    in->raw.epoch = 0;
    Plan first = a.plan(in->raw);
    a.plan(make_input(50, 64, 9, false)->raw);
    if (!same_plan(first, a.plan(in->raw))) throw std::runtime_error("planning again on one instance gave another plan");
    return std::string("same plans for epochs 0 and 1, across instances and repeated calls");
  });
  run_check(report, "zero budget is an error value", [&] {
    BatchingInstance b(lib, params);
    auto in = make_input(10, 64, 1, false);
    for (int which = 0; which < 2; ++which) {
      la_batch_input bad = in->raw;
      (which == 0 ? bad.max_tokens : bad.rows_per_micro_batch) = 0;
      try {
        b.plan(bad);
      } catch (const PluginCallError& e) {
        if (e.status() != LA_ERR_INVALID_ARGUMENT) throw std::runtime_error(std::string("wrong status: ") + e.what());
        continue;
      }
      throw std::runtime_error(std::string("a plan was returned for ") + (which == 0 ? "max_tokens" : "rows_per_micro_batch") + " = 0");
    }
    return std::string("max_tokens = 0 and rows_per_micro_batch = 0 give LA_ERR_INVALID_ARGUMENT");
  });
}

}  // namespace longalign::host::checks
