// The SDK's helpers as plugin authors see them: a portable generator, shuffles and step groups
// that do not depend on the standard library, exceptions turned into error values, and parameter
// defaults written as valid JSON.
#include <gtest/gtest.h>

#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <numeric>

namespace {

TEST(Sdk, RngIsSplitMix64) {
  // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
  longalign::Rng rng(0);
  EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(rng.next(), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(rng.next(), 0x06C45D188009454Full);
}

TEST(Sdk, ShuffleIsAPermutationAndRepeatable) {
  std::vector<int> a(100), b;
  std::iota(a.begin(), a.end(), 0);
  b = a;
  auto r1 = longalign::Rng::for_epoch(5, 0), r2 = longalign::Rng::for_epoch(5, 0);
  longalign::shuffle(a, r1);
  longalign::shuffle(b, r2);
  EXPECT_EQ(a, b);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sorted[i], i);
  auto r3 = longalign::Rng::for_epoch(5, 1);
  auto c = sorted;
  longalign::shuffle(c, r3);
  EXPECT_NE(a, c);
}

TEST(Sdk, BelowStaysInRange) {
  longalign::Rng rng(3);
  std::vector<int> seen(7, 0);
  for (int i = 0; i < 7000; ++i) {
    const uint64_t v = rng.below(7);
    ASSERT_LT(v, 7u);
    ++seen[v];
  }
  for (int s : seen) EXPECT_GT(s, 800) << "about 1000 each";
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rng.below(1), 0u);
  // A bound that is no power of two and above 2^63: still below it, and over its whole range.
  const uint64_t big = (uint64_t{1} << 63) + 12345;
  bool upper_half = false;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t v = rng.below(big);
    ASSERT_LT(v, big);
    upper_half |= v >= big / 2;
  }
  EXPECT_TRUE(upper_half);
}

longalign::Plan one_row_per_micro_batch(std::vector<uint32_t> lengths) {
  longalign::Plan p;
  for (uint32_t i = 0; i < lengths.size(); ++i) {
    p.micro_batches.push_back({i, 1});
    p.rows.push_back({i, 1, lengths[i]});
    p.segments.push_back({i, 0, lengths[i]});
  }
  return p;
}

TEST(Sdk, GroupsMicroBatchesBySequenceOrTokenBudget) {
  la_batch_input in{};
  in.sequences_per_step = 2;
  auto p = one_row_per_micro_batch({5, 5, 5, 5, 5});
  longalign::group_into_steps(in, p);
  ASSERT_EQ(p.steps.size(), 3u);
  EXPECT_EQ(p.steps[0].count, 2u);
  EXPECT_EQ(p.steps[2].count, 1u);  // the last step may be smaller

  in.sequences_per_step = 0;
  in.tokens_per_step = 12;
  longalign::group_into_steps(in, p);
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(p.steps[0].count, 3u);

  in.tokens_per_step = 0;
  longalign::group_into_steps(in, p);
  EXPECT_EQ(p.steps.size(), 5u);
}

TEST(Sdk, ExceptionsBecomeErrorValues) {
  la_error e = longalign::make_error();
  int32_t status = longalign::detail::guarded(&e, []() -> int32_t {
    throw longalign::Error(LA_ERR_INVALID_ARGUMENT, "bad rows");
  });
  EXPECT_EQ(status, LA_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(e.message, "bad rows");
  status = longalign::detail::guarded(&e, []() -> int32_t { throw std::runtime_error("boom"); });
  EXPECT_EQ(status, LA_ERR_INTERNAL);
  EXPECT_STREQ(e.message, "boom");
  std::string longer(5000, 'x');
  longalign::set_error(&e, LA_ERR_IO, longer);
  EXPECT_EQ(std::string(e.message).size(), LA_ERROR_MESSAGE_CAPACITY - 1u);
}

TEST(Sdk, ParamDefaultsAreJsonLiterals) {
  auto d = longalign::Plugin("x", "1", "d")
               .param(longalign::Param::number("lr", 2.0, "lr"))
               .param(longalign::Param::string("q", "say \"hi\"", "q"))
               .param(longalign::Param::integer("n", -3, "n").range(-5, 5))
               .descriptor(LA_KIND_EVALUATOR, nullptr);
  ASSERT_EQ(d->n_params, 3u);
  EXPECT_STREQ(d->params[0].default_json, "2.0");
  EXPECT_STREQ(d->params[1].default_json, "\"say \\\"hi\\\"\"");
  EXPECT_STREQ(d->params[2].default_json, "-3");
  EXPECT_EQ(d->params[2].min, -5);
}

}  // namespace

namespace longalign {
namespace {

// A string default with quotes, backslashes, newlines and other control characters is valid JSON
// that parses back to the same string.
TEST(Sdk, StringDefaultsAreEscapedJson) {
  const std::string text = "line \"one\"\\\nline\ttwo\x01\r";
  Plugin plugin = Plugin("p", "1.0.0", "d").param(Param::string("s", text, "doc"));
  const la_plugin_descriptor* d = plugin.descriptor(LA_KIND_EVALUATOR, nullptr);
  auto j = nlohmann::json::parse(d->params[0].default_json);
  EXPECT_EQ(j.get<std::string>(), text);
}

}  // namespace
}  // namespace longalign
