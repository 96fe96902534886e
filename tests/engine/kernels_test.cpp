// The fused kernels against torch computing the same in fp32 or double: exp to 2 ulp, the
// attention rows' softmax and its backward (with the masked tail and widths
// that are not multiples of the vector), the SwiGLU forward and backward against autograd, and
// bf16 results rounded to nearest even from the fp32 ones.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kernels.h"
#include <torch/torch.h>

namespace longalign::engine {
namespace {

TEST(Kernels, ExpIsWithinTwoUlpAndZeroBelowItsRange) {
  double worst = 0;
  for (float x = -87.0f; x <= 88.0f; x += 0.000731f) {
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(kernels::exp(x) - want) / want);
  }
  EXPECT_LT(worst, 2.4e-7);  // 2 ulp of a float
  EXPECT_EQ(kernels::exp(-100.0f), 0.0f);
  EXPECT_EQ(kernels::exp(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_EQ(kernels::exp(0.0f), 1.0f);
}

std::vector<kernels::bf16> to_bf16(const std::vector<float>& v) {
  std::vector<kernels::bf16> out;
  for (float x : v) out.push_back(c10::BFloat16(x).x);  // round to nearest even
  return out;
}

TEST(Kernels, SoftmaxRowsMatchTorchWithTheirTailMasked) {
  torch::manual_seed(3);
  for (int64_t width : {1, 15, 16, 17, 100, 257}) {
    for (int64_t visible : {int64_t{1}, (width + 1) / 2, width}) {
      auto s = torch::randn({width}) * 4;
      std::vector<float> row(s.data_ptr<float>(), s.data_ptr<float>() + width);
      const float lse = kernels::softmax(row.data(), width, visible);
      auto want = torch::softmax(s.narrow(0, 0, visible).to(torch::kDouble), 0);
      for (int64_t j = 0; j < width; ++j) {
        if (j < visible)
          EXPECT_NEAR(row[j], want[j].item<double>(), 1e-6 * want[j].item<double>() + 1e-9) << width << " " << visible << " " << j;
        else
          EXPECT_EQ(row[j], 0.0f);
      }
      EXPECT_NEAR(lse, torch::logsumexp(s.narrow(0, 0, visible).to(torch::kDouble), 0).item<double>(), 2e-6);

      // The backward's probabilities from the scores and lse are the forward's.
      std::vector<float> again(s.data_ptr<float>(), s.data_ptr<float>() + width), no_grad(width, 0.0f);
      kernels::softmax_backward(again.data(), no_grad.data(), width, visible, lse, 0.0f);
      for (int64_t j = 0; j < width; ++j) EXPECT_NEAR(again[j], row[j], 1e-6 * row[j] + 1e-9);

      // bf16 rows: the fp32 kernel's result, rounded once, from scores bf16 can hold.
      auto sb = s.to(torch::kBFloat16).to(torch::kFloat);
      std::vector<float> f(sb.data_ptr<float>(), sb.data_ptr<float>() + width);
      std::vector<kernels::bf16> b = to_bf16(f);
      const float lse32 = kernels::softmax(f.data(), width, visible), lse16 = kernels::softmax(b.data(), width, visible);
      EXPECT_EQ(lse16, lse32);
      // The bf16 row normalises the same exponentials; the rounding is the one difference.
      for (int64_t j = 0; j < width; ++j) EXPECT_NEAR(c10::BFloat16(f[j]).x, b[j], 1) << width << " " << j;
    }
  }
}

TEST(Kernels, SoftmaxBackwardIsTheSoftmaxJacobian) {
  torch::manual_seed(5);
  const int64_t width = 37, visible = 30;
  auto s = torch::randn({width}, torch::kDouble).requires_grad_(true);
  auto mask = torch::arange(width) < visible;
  auto p = torch::softmax(s.masked_fill(mask.logical_not(), -1e300), 0);
  auto dp = torch::randn({width}, torch::kDouble);
  (p * dp).sum().backward();
  const float delta = (p * dp).sum().item<float>();
  const float lse = torch::logsumexp(s.detach().narrow(0, 0, visible), 0).item<float>();
  std::vector<float> s32(width), dp32(width);
  for (int64_t j = 0; j < width; ++j) s32[j] = s[j].item<float>(), dp32[j] = dp[j].item<float>();
  kernels::softmax_backward(s32.data(), dp32.data(), width, visible, lse, delta);
  for (int64_t j = 0; j < width; ++j) {
    EXPECT_NEAR(s32[j], p[j].item<double>(), 1e-6) << j;
    EXPECT_NEAR(dp32[j], s.grad()[j].item<double>(), 1e-6) << j;
  }
}

TEST(Kernels, SwigluForwardAndBackwardMatchAutograd) {
  torch::manual_seed(7);
  const int64_t n = 1000;  // not a multiple of the vector
  auto g = (torch::randn({n}) * 6).requires_grad_(true), u = torch::randn({n}).requires_grad_(true);
  auto h = torch::silu(g) * u;
  auto dh = torch::randn({n});
  (h * dh).sum().backward();
  std::vector<float> out(n), dg(n), du(n);
  kernels::swiglu(g.data_ptr<float>(), u.data_ptr<float>(), out.data(), n);
  kernels::swiglu_backward(g.data_ptr<float>(), u.data_ptr<float>(), dh.data_ptr<float>(), dg.data(), du.data(), n);
  for (int64_t j = 0; j < n; ++j) {
    EXPECT_NEAR(out[j], h[j].item<float>(), 1e-6 * (1 + std::fabs(h[j].item<float>())));
    EXPECT_NEAR(dg[j], g.grad()[j].item<float>(), 1e-6 * (1 + std::fabs(g.grad()[j].item<float>())));
    EXPECT_NEAR(du[j], u.grad()[j].item<float>(), 1e-6 * (1 + std::fabs(u.grad()[j].item<float>())));
  }
  // In bf16: the fp32 result from the same (bf16) inputs, rounded to nearest even.
  auto gb = g.detach().to(torch::kBFloat16), ub = u.detach().to(torch::kBFloat16);
  std::vector<kernels::bf16> hb(n);
  kernels::swiglu(reinterpret_cast<kernels::bf16*>(gb.data_ptr()), reinterpret_cast<kernels::bf16*>(ub.data_ptr()), hb.data(), n);
  auto gf = gb.to(torch::kFloat), uf = ub.to(torch::kFloat);
  std::vector<float> hf(n);
  kernels::swiglu(gf.data_ptr<float>(), uf.data_ptr<float>(), hf.data(), n);
  for (int64_t j = 0; j < n; ++j) EXPECT_EQ(hb[j], c10::BFloat16(hf[j]).x) << j;
}

}  // namespace
}  // namespace longalign::engine
