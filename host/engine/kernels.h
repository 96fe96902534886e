// Elementwise work fused into single passes, on CPU, in fp32 and bf16: the attention's softmax
// over one row of a scores tile at a time, and the SwiGLU. Torch's ops take one pass over memory
// each (cast, mask, log_softmax, exp, cast back; silu, multiply and their backwards), and in a
// bf16 step those passes cost as much as the matmuls around them. An attention row is at most a
// segment long, so its passes after the first stay in L1.
// Torch-free: plain loops the compiler vectorises, built once per x86 level and picked at load
// time, with no fused multiply-adds, so every CPU computes the same bits.
#pragma once
#include <cstdint>

namespace longalign::engine::kernels {

// A bf16 number's bits (the upper half of a float's).
using bf16 = uint16_t;

// A query's scores over the keys, in place: the first `visible` entries (the keys it may see)
// become its softmax probabilities, the rest of the `width` 0. Returns the log-sum-exp of the
// visible scores.
float softmax(float* row, int64_t width, int64_t visible);
float softmax(bf16* row, int64_t width, int64_t visible);

// The backward's softmax over one query's row, in place: the scores s become the forward's
// probabilities again, p = exp(s - lse) on the first `visible` entries and 0 after, and dL/dp
// becomes dL/ds = p * (dL/dp - delta), delta being rowsum(dO * O) of the query.
void softmax_backward(float* s, float* dp, int64_t width, int64_t visible, float lse, float delta);
void softmax_backward(bf16* s, bf16* dp, int64_t width, int64_t visible, float lse, float delta);

// h = silu(g) * u over n entries, and its backward: dg = dh * u * silu'(g), du = dh * silu(g).
void swiglu(const float* g, const float* u, float* h, int64_t n);
void swiglu(const bf16* g, const bf16* u, bf16* h, int64_t n);
void swiglu_backward(const float* g, const float* u, const float* dh, float* dg, float* du, int64_t n);
void swiglu_backward(const bf16* g, const bf16* u, const bf16* dh, bf16* dg, bf16* du, int64_t n);

// exp(x) for x up to 88, to within 2 ulp (0 below -87.3), as the kernels compute it; exposed
// for its test.
float exp(float x);

}  // namespace longalign::engine::kernels
