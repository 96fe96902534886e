// Packing efficiency and planning speed of the `packing` plugin on a LongAlign-like
// length mix (seed 0): 10,000 long examples log-uniform in 8,192-65,536 tokens plus 50,000 short
// chats log-normal (median 600, sigma 1.0) clipped to 16-4,096, rows of 65,536. For each
// algorithm: rows against the lower bound ceil(sum / 65,536), on the mix and on its long
// examples alone; then the planning time of a 1M-sequence variant (same 1:5 ratio), one thread.
// Run: build/bin/packing_bench
#include <longalign/batching.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "plugin/instance.h"

using namespace longalign::host;

namespace {

std::vector<uint32_t> length_mix(size_t n_long, size_t n_short, uint64_t seed) {
  longalign::Rng rng(seed);
  std::vector<uint32_t> out;
  for (size_t i = 0; i < n_long; ++i)
    out.push_back(static_cast<uint32_t>(std::exp(std::log(8192.0) + rng.uniform() * (std::log(65536.0) - std::log(8192.0)))));
  for (size_t i = 0; i < n_short; ++i)
    out.push_back(static_cast<uint32_t>(std::min(4096.0, std::max(16.0, 600.0 * std::exp(rng.normal())))));
  return out;
}

struct Result {
  size_t rows;
  double seconds;
};

Result plan(BatchingInstance& b, const std::vector<uint32_t>& lengths) {
  std::vector<uint32_t> targets(lengths.size(), 1);
  la_batch_input in{};
  in.struct_size = sizeof in;
  in.lengths = lengths.data();
  in.targets = targets.data();
  in.n_sequences = lengths.size();
  in.max_tokens = 65536;
  in.rows_per_micro_batch = 1;
  in.sequences_per_step = 96;
  auto t0 = std::chrono::steady_clock::now();
  longalign::Plan p = b.plan(in);
  return {p.rows.size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
}

size_t lower_bound(const std::vector<uint32_t>& lengths) {
  uint64_t sum = 0;
  for (uint32_t l : lengths) sum += l;
  return static_cast<size_t>((sum + 65535) / 65536);
}

}  // namespace

int main() {
  auto lib = PluginLibrary::load(std::filesystem::path(LONGALIGN_BUNDLED_PLUGIN_DIR) / "packing.so");
  auto mix = length_mix(10000, 50000, 0);
  std::vector<uint32_t> long_only(mix.begin(), mix.begin() + 10000);
  auto million = length_mix(1000000 / 6, 1000000 - 1000000 / 6, 1);
  std::printf("LongAlign-like mix: %zu sequences, lower bound %zu rows; long examples alone: lower bound %zu rows\n",
              mix.size(), lower_bound(mix), lower_bound(long_only));
  for (const char* algorithm : {"next-fit", "first-fit-decreasing", "best-fit-decreasing"}) {
    BatchingInstance b(lib, {{"algorithm", algorithm}});
    Result m = plan(b, mix), l = plan(b, long_only), big = plan(b, million);
    std::printf("%-21s mix %5zu rows (bound/rows %.4f)  long only %5zu rows (%.4f)  1M sequences planned in %.3f s\n",
                algorithm, m.rows, static_cast<double>(lower_bound(mix)) / m.rows, l.rows,
                static_cast<double>(lower_bound(long_only)) / l.rows, big.seconds);
  }
  return 0;
}
