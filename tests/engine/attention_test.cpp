// The tiled segment attention against plain masked softmax attention computed here: outputs
// and the gradients of q, k and v agree, for segments that are and are not multiples of the
// tile, a row with slots past its last segment, and grouped rows x heads; in bf16 to bf16's
// precision; and in fp64, through the torch ops that run where the fused CPU kernels do not.
// The bf16 kernels of CPUs with AVX512-BF16, alone, against fp64 on the same bf16 inputs.
#include <gtest/gtest.h>

#include "attention.h"
#include "bf16_attention.h"

namespace longalign::engine {
namespace {

// Each query attends to the keys of its own segment up to itself; slots past the end give 0.
torch::Tensor reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const std::vector<int64_t>& cu) {
  const int64_t T = q.size(1);
  auto seg = torch::full({T}, -1, torch::kLong);
  for (size_t i = 0; i + 1 < cu.size(); ++i) seg.narrow(0, cu[i], cu[i + 1] - cu[i]).fill_(static_cast<int64_t>(i));
  auto allowed = (seg.unsqueeze(0) == seg.unsqueeze(1)).logical_and(seg.unsqueeze(1) >= 0).logical_and(torch::ones({T, T}, torch::kBool).tril());
  auto s = torch::matmul(q, k.transpose(1, 2)) / std::sqrt(static_cast<double>(q.size(2)));
  auto p = torch::softmax(s.masked_fill(allowed.logical_not(), -1e30), -1) * allowed;
  return torch::matmul(p, v);
}

struct Result {
  torch::Tensor out, dq, dk, dv;
};

Result run(bool tiled, torch::ScalarType dtype, const std::vector<int64_t>& cu, int64_t N, int64_t T, int64_t tile) {
  torch::manual_seed(4);
  auto make = [&] { return torch::randn({N, T, 16}).to(dtype).requires_grad_(true); };
  auto q = make(), k = make(), v = make();
  auto g = torch::randn({N, T, 16}).to(dtype);
  auto out = tiled ? segment_attention(q, k, v, cu, tile) : reference(q, k, v, cu);
  (out * g).sum().backward();
  return {out.detach().to(torch::kFloat), q.grad().to(torch::kFloat), k.grad().to(torch::kFloat), v.grad().to(torch::kFloat)};
}

double rel(const torch::Tensor& a, const torch::Tensor& b) { return ((a - b).abs().max() / b.abs().max()).item<double>(); }

TEST(SegmentAttention, MatchesMaskedSoftmaxForwardAndBackward) {
  struct Case {
    std::vector<int64_t> cu;
    int64_t N, T, tile;
  };
  for (const Case& c : {Case{{0, 50}, 4, 50, 16}, Case{{0, 7, 32, 33, 60}, 3, 64, 16}, Case{{0, 64}, 6, 64, 64},
                        Case{{0, 5, 40}, 2, 48, 512}}) {
    Result want = run(false, torch::kFloat, c.cu, c.N, c.T, c.tile), got = run(true, torch::kFloat, c.cu, c.N, c.T, c.tile);
    EXPECT_LT(rel(got.out, want.out), 1e-5) << "segments " << c.cu.size() - 1 << ", tile " << c.tile;
    EXPECT_LT(rel(got.dq, want.dq), 1e-5);
    EXPECT_LT(rel(got.dk, want.dk), 1e-5);
    EXPECT_LT(rel(got.dv, want.dv), 1e-5);
    if (c.cu.back() < c.T) EXPECT_EQ(got.out.narrow(1, c.cu.back(), c.T - c.cu.back()).abs().max().item<float>(), 0.0f);
  }
  // fp64 takes the torch-ops path that devices without the fused CPU kernels take.
  {
    Result want = run(false, torch::kFloat, {0, 7, 40, 41}, 3, 48, 16), got = run(true, torch::kDouble, {0, 7, 40, 41}, 3, 48, 16);
    EXPECT_LT(rel(got.out, want.out), 1e-5);
    EXPECT_LT(rel(got.dq, want.dq), 1e-5);
    EXPECT_LT(rel(got.dk, want.dk), 1e-5);
    EXPECT_LT(rel(got.dv, want.dv), 1e-5);
    EXPECT_EQ(got.out.narrow(1, 41, 7).abs().max().item<float>(), 0.0f);
  }
  Result want = run(false, torch::kFloat, {0, 20, 64}, 4, 64, 16), got = run(true, torch::kBFloat16, {0, 20, 64}, 4, 64, 16);
  EXPECT_LT(rel(got.out, want.out), 3e-2);
  EXPECT_LT(rel(got.dq, want.dq), 6e-2);
  EXPECT_LT(rel(got.dk, want.dk), 6e-2);
  EXPECT_LT(rel(got.dv, want.dv), 6e-2);
}

// Segments shorter and longer than a query block (64), of lengths that are not multiples of the
// 16 keys a microkernel takes, with odd blocks of rows; heads of 16, 64 and 128. Scores and
// gradients accumulate in fp32 from bf16 operands, so the error is bf16's rounding of p, ds and
// the outputs: measured 2e-3 to 6e-3 here, against 5e-3 to 1.3e-2 for torch's bf16 products.
TEST(Bf16Attention, MatchesDoublePrecisionOnTheSameBf16Inputs) {
  if (!kernels::bf16_attention_supported(64)) GTEST_SKIP() << "this CPU has no AVX512-BF16";
  torch::manual_seed(9);
  auto bits = [](const torch::Tensor& t) { return reinterpret_cast<kernels::bf16*>(t.data_ptr()); };
  for (int64_t D : {16, 64, 128})
    for (int64_t n : {1, 17, 64, 65, 130, 301}) {
      auto make = [&](double sd) { return (torch::randn({n, D}) * sd).to(torch::kBFloat16); };
      auto q = make(1.0 / std::sqrt(static_cast<double>(D))), k = make(1), v = make(1), dout = make(1);
      auto qd = q.to(torch::kDouble).requires_grad_(), kd = k.to(torch::kDouble).requires_grad_(), vd = v.to(torch::kDouble).requires_grad_();
      auto s = torch::matmul(qd, kd.t()).masked_fill(torch::ones({n, n}, torch::kBool).triu(1), -INFINITY);
      auto want = torch::matmul(torch::softmax(s, -1), vd);
      want.backward(dout.to(torch::kDouble));
      auto out = torch::empty({n, D}, torch::kBFloat16), lse = torch::empty({n});
      kernels::bf16_attention_forward(bits(q), bits(k), bits(v), n, D, bits(out), lse.data_ptr<float>());
      auto dq = torch::empty({n, D}), dk = torch::empty({n, D}), dv = torch::empty({n, D});
      kernels::bf16_attention_backward(bits(q), bits(k), bits(v), bits(out), bits(dout), lse.data_ptr<float>(), n, D, 0.5f,
                                       dq.data_ptr<float>(), dk.data_ptr<float>(), dv.data_ptr<float>());
      auto r = [](const torch::Tensor& a, const torch::Tensor& b) { return rel(a.to(torch::kDouble), b.detach()); };
      EXPECT_LT(r(out, want), 1e-2) << "D " << D << ", n " << n;
      EXPECT_LT(r(lse, torch::logsumexp(s, -1)), 1e-6) << "D " << D << ", n " << n;
      if (n == 1) {  // one key: p is 1 whatever the score, so dq and dk are 0 but for rounding
        EXPECT_LT(dq.abs().max().item<float>() + dk.abs().max().item<float>(), 1e-5) << "D " << D;
      } else {
        EXPECT_LT(r(dq, 0.5 * qd.grad()), 2e-2) << "D " << D << ", n " << n;
        EXPECT_LT(r(dk, kd.grad()), 2e-2) << "D " << D << ", n " << n;
      }
      EXPECT_LT(r(dv, vd.grad()), 2e-2) << "D " << D << ", n " << n;
    }
}

}  // namespace
}  // namespace longalign::engine
