// Generation: with the key/value cache, token for token what recomputing every position gives,
// greedy and sampled (a seed gives the same draws), for a short prompt and one past the plain
// attention's 256 tokens (the tiled prefill); a stop token ends it.
#include <gtest/gtest.h>

#include "engine.h"

namespace longalign::engine {
namespace {

std::vector<int64_t> prompt(size_t n) {
  std::vector<int64_t> p = {256};
  for (size_t i = 1; i < n; ++i) p.push_back(static_cast<int64_t>((i * 131 + 7) % 256));
  return p;
}

TEST(Generation, TheCacheChangesNothing) {
  ModelConfig c = model_preset("tiny");
  c.n_kv_heads = 2;
  c.rope_theta = 50000;
  Model m(c, 11);
  for (size_t n : {40u, 300u})
    for (double temperature : {0.0, 0.8}) {
      Model::Sampling with;
      with.max_new_tokens = 40;
      with.temperature = temperature;
      with.seed = 3;
      Model::Sampling without = with;
      without.use_cache = false;
      auto a = m.generate(prompt(n), with), b = m.generate(prompt(n), without);
      EXPECT_EQ(a.size(), 40u);
      EXPECT_EQ(a, b) << "prompt " << n << ", temperature " << temperature;
      EXPECT_EQ(a, m.generate(prompt(n), with)) << "the same seed, the same text";
    }
  Model::Sampling greedy;
  greedy.max_new_tokens = 40;
  auto a = m.generate(prompt(40), greedy);
  greedy.stop_token = a[5];
  auto stopped = m.generate(prompt(40), greedy);
  const auto first = static_cast<size_t>(std::find(a.begin(), a.end(), a[5]) - a.begin());
  EXPECT_EQ(stopped, std::vector<int64_t>(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(first + 1)));
  EXPECT_THROW(m.generate({}, greedy), std::invalid_argument);
}

}  // namespace
}  // namespace longalign::engine
