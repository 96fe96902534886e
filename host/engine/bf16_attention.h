// Causal attention over one segment of one head, forward and backward, in bf16 with fp32
// accumulation, on x86 CPUs with AVX512-BF16. oneDNN's bf16 products reach about half the
// machine's bf16 peak on attention's shapes (a reduction over a 64-wide head; outputs 64 wide),
// and a tile's scores make a round trip through memory between them. Here a block of queries at
// a time goes from scores to softmax to output with the scores in L2, through matrix
// microkernels of vdpbf16ps (two bf16 products summed into an fp32 lane). Torch-free.
// Every pointer is to rows of `D` (row stride D) of one head's segment, n rows.
#pragma once
#include <cstdint>

#include "kernels.h"

namespace longalign::engine::kernels {

// This CPU runs the kernels, for heads of D (a multiple of 16).
bool bf16_attention_supported(int64_t D);

// out = softmax(q k^T, causal) v and each query's log-sum-exp; q comes scaled by 1 / sqrt(D).
void bf16_attention_forward(const bf16* q, const bf16* k, const bf16* v, int64_t n, int64_t D, bf16* out, float* lse);

// The gradients of q (times `scale`, q's scaling), k and v, written (not added) in fp32, from
// the forward's inputs, its output and log-sum-exp, and dL/d(out).
void bf16_attention_backward(const bf16* q, const bf16* k, const bf16* v, const bf16* out, const bf16* dout, const float* lse,
                             int64_t n, int64_t D, float scale, float* dq, float* dk, float* dv);

}  // namespace longalign::engine::kernels
