// Causal attention within the segments of a row, tiled like FlashAttention, forward and
// backward: queries go through in tiles, each against the keys of its own segment up to
// itself, so the largest scores tensor is heads x tile x (segment length) and the backward
// keeps only the output and the log-sum-exp of each query (it recomputes the scores). All
// heads at once, no per-head loops; cost sum n_i^2, never T^2. In bf16 on a CPU with
// AVX512-BF16, a (head, segment) at a time per thread instead, in bf16_attention.h's kernels.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace longalign::engine {

// q, k, v: (N, T, D), N heads (or rows x heads sharing one segmentation). cu: segment starts,
// then the end of the last (<= T); slots past it get zeros. Softmax statistics are fp32
// whatever the inputs' dtype; the matmuls run in the inputs' dtype. tile 0 picks what measured
// fastest on our CPUs (engine_bench): plain softmax attention when no segment is over 256
// tokens, else query tiles of 256. (In fp32, 512 was 0.1 s a base step slower: 8 heads x 512
// x 2,048 scores are 32 MiB, past glibc's largest heap block, so each tile was a fresh mmap.)
torch::Tensor segment_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const std::vector<int64_t>& cu, int64_t tile = 0);

// On a CUDA device, libtorch's varlen flash-attention kernel does the same: q, k, v are
// (B, heads, T, D) in bf16 or fp16, rows[b] row b's segment boundaries as above; returns
// (B, heads, T, D). flash_attention_applies says whether this libtorch has the kernel (2.4 and
// later) and q suits it (CUDA, 16-bit, head size a multiple of 8 up to 256).
bool flash_attention_applies(const torch::Tensor& q);
torch::Tensor flash_segment_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                      const std::vector<std::vector<int64_t>>& rows);

// Seconds spent in segment_attention's forward and backward passes since the program started
// (the trainer reports differences, per step).
double attention_seconds_total();

}  // namespace longalign::engine
