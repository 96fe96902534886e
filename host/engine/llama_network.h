// A Llama-style decoder in libtorch: RMSNorm, RoPE (rotate-half, as transformers does; linear or
// Llama-3.1 scaling), SwiGLU, multi-head attention with optional grouped-query heads, tied or
// untied embeddings; the Mistral, Qwen2 (q/k/v biases) and Qwen3 (q/k norms, own head size)
// variants of it.
#pragma once
#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "engine.h"

namespace longalign::engine {

// libtorch's autocast API changed in 2.4 (one function per device type became one function
// taking the device type); these two work on either side of that.
#define LONGALIGN_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

inline bool autocast_enabled(c10::DeviceType device) {
#if LONGALIGN_TORCH_AT_LEAST(2, 4)
  return at::autocast::is_autocast_enabled(device);
#else
  return device == c10::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

inline void set_autocast_bf16(c10::DeviceType device, bool on) {
#if LONGALIGN_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(device, on);
  if (on) at::autocast::set_autocast_dtype(device, at::kBFloat16);
#else
  if (device == c10::kCUDA) {
    at::autocast::set_enabled(on);
    if (on) at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  } else {
    at::autocast::set_cpu_enabled(on);
    if (on) at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  }
#endif
}

// bf16 compute (autocast on the model's device) for what runs in its scope (matmuls,
// attention); parameters stay fp32.
class Autocast {
 public:
  Autocast(bool on, c10::DeviceType device) : on_(on), device_(device) {
    if (!on_) return;
    set_autocast_bf16(device_, true);
    at::autocast::increment_nesting();
  }
  ~Autocast() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_autocast_bf16(device_, false);
  }

 private:
  bool on_;
  c10::DeviceType device_;
};

// How a micro-batch's rows split into sequences, for attention.
struct RowSegments {
  bool packed = false;
  std::vector<std::vector<int64_t>> cu_seqlens;  // per row
};

// Generation's key/value cache for one layer: the keys (after RoPE) and values of every
// position so far, (1, kv_heads, positions, head_dim).
struct LayerCache {
  torch::Tensor k, v;
};

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  double eps_;
  torch::Tensor weight_;
};
TORCH_MODULE(RMSNorm);

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const ModelConfig& c);
  // x: (B, T, C); cos, sin: (B, T, head_dim). Returns (B, T, C). With a cache (one row, not
  // packed), x holds the positions after the cached ones: all of a prompt, or one new token.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, const RowSegments& seg,
                        LayerCache* cache = nullptr);

 private:
  int64_t n_heads_, n_kv_heads_, head_dim_;
  torch::nn::Linear wq_{nullptr}, wk_{nullptr}, wv_{nullptr}, wo_{nullptr};
  RMSNorm q_norm_{nullptr}, k_norm_{nullptr};  // Qwen3's
};
TORCH_MODULE(Attention);

class MLPImpl : public torch::nn::Module {  // SwiGLU
 public:
  explicit MLPImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear gate_{nullptr}, up_{nullptr}, down_{nullptr};
};
TORCH_MODULE(MLP);

class BlockImpl : public torch::nn::Module {
 public:
  explicit BlockImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, const RowSegments& seg,
                        LayerCache* cache = nullptr);

 private:
  RMSNorm attn_norm_{nullptr}, mlp_norm_{nullptr};
  Attention attn_{nullptr};
  MLP mlp_{nullptr};
};
TORCH_MODULE(Block);

class LlamaImpl : public torch::nn::Module {
 public:
  explicit LlamaImpl(const ModelConfig& c);
  // ids, positions: (B, T) int64. Returns the final hidden states (B, T, C); logits come from
  // lm_head() on the positions that need them, so no (T, vocab) tensor is made for the rest.
  // cache: one LayerCache per layer, for generation (see AttentionImpl::forward).
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& positions, const RowSegments& seg,
                        std::vector<LayerCache>* cache = nullptr);
  torch::Tensor lm_head(const torch::Tensor& hidden);
  const ModelConfig& config() const { return c_; }
  torch::Device device() const { return embed_->weight.device(); }
  // Gradient checkpointing: keep only each layer's input in training and recompute the layer
  // in the backward pass (the same gradients, less memory, about a third more compute).
  void set_checkpoint_layers(bool on) { checkpoint_layers_ = on; }

 private:
  ModelConfig c_;
  torch::nn::Embedding embed_{nullptr};
  torch::nn::ModuleList layers_{nullptr};
  std::vector<Block> blocks_;
  RMSNorm norm_{nullptr};
  torch::nn::Linear head_{nullptr};
  bool checkpoint_layers_ = false;
  torch::Tensor inv_freq_;
};
TORCH_MODULE(Llama);

// RoPE's inverse frequencies for a model's head size, base and scaling, in double precision.
torch::Tensor rope_inv_freq(const ModelConfig& c);

// Hugging Face's name for one of LlamaImpl's parameters ("layers.0.mlp.up_proj.weight" ->
// "model.layers.0.mlp.up_proj.weight"; "lm_head.weight" stays).
std::string hf_name(const std::string& module_name);

}  // namespace longalign::engine

// The public handle's state: the network, shared with a Trainer that trains it.
struct longalign::engine::Model::Impl {
  ModelConfig config;
  Llama net{nullptr};
};

namespace longalign::engine {

}  // namespace longalign::engine
