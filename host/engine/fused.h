// What the torch side needs to run the fused kernels (kernels.h) over tensors.
#pragma once
#include <torch/torch.h>

#include <algorithm>

namespace longalign::engine {

// The fused kernels take CPU tensors in fp32 or bf16; anything else (a CUDA device) runs as
// torch ops.
inline bool fused_kernels_apply(const torch::Tensor& t) {
  return t.device().is_cpu() && (t.scalar_type() == torch::kFloat || t.scalar_type() == torch::kBFloat16);
}

// A contiguous tensor's data as T (float, or kernels::bf16 for bf16).
template <typename T>
T* data_as(const torch::Tensor& t) {
  return reinterpret_cast<T*>(t.data_ptr());
}

// f(begin, end) over [0, n) in chunks of about 16k entries of work per thread, `width` entries
// an item.
template <typename F>
void parallel_items(int64_t n, int64_t width, const F& f) {
  at::parallel_for(0, n, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, width)), f);
}

}  // namespace longalign::engine
