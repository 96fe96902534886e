// The tiled segment attention against plain masked softmax attention computed here: outputs
// and the gradients of q, k and v agree, for segments that are and are not multiples of the
// tile, a row with slots past its last segment, and grouped rows x heads; in bf16 to bf16's
// precision; and in fp64, through the torch ops that run where the fused CPU kernels do not.
#include <gtest/gtest.h>

#include "attention.h"

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

}  // namespace
}  // namespace longalign::engine
