#include "llama_network.h"

#include "attention.h"
#include "fused.h"
#include "kernels.h"

#include <cmath>

namespace longalign::engine {
namespace {

torch::Tensor rotate_half(const torch::Tensor& x) {
  int64_t h = x.size(-1) / 2;
  return torch::cat({-x.narrow(-1, h, h), x.narrow(-1, 0, h)}, -1);
}

}  // namespace

namespace {

// One layer under gradient checkpointing: the forward keeps only the layer's input; the
// backward runs the layer again with autograd on (under the autocast state the forward had)
// and takes the gradients of its input and parameters from that. libtorch's C++ API has no
// checkpoint utility, hence this function.
struct CheckpointedBlock : public torch::autograd::Function<CheckpointedBlock> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& cos,
                               const torch::Tensor& sin, at::TensorList params, BlockImpl* block, const RowSegments* seg) {
    ctx->save_for_backward({x, cos, sin});
    ctx->saved_data["autocast"] = autocast_enabled(x.device().type());
    // The block outlives the backward pass (the model owns it); the segments are copied, as
    // [rows, then each row's length and boundaries].
    ctx->saved_data["block"] = reinterpret_cast<int64_t>(block);
    ctx->saved_data["packed"] = seg->packed;
    std::vector<int64_t> flat = {static_cast<int64_t>(seg->cu_seqlens.size())};
    for (auto& row : seg->cu_seqlens) {
      flat.push_back(static_cast<int64_t>(row.size()));
      flat.insert(flat.end(), row.begin(), row.end());
    }
    ctx->saved_data["segments"] = flat;
    return block->forward(x, cos, sin, *seg);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto* block = reinterpret_cast<BlockImpl*>(ctx->saved_data["block"].toInt());
    RowSegments seg{ctx->saved_data["packed"].toBool(), {}};
    const std::vector<int64_t> flat = ctx->saved_data["segments"].toIntVector();
    for (size_t at = 1, row = 0; row < static_cast<size_t>(flat[0]); ++row) {
      const auto n = static_cast<size_t>(flat[at]);
      seg.cu_seqlens.emplace_back(flat.begin() + static_cast<std::ptrdiff_t>(at + 1), flat.begin() + static_cast<std::ptrdiff_t>(at + 1 + n));
      at += 1 + n;
    }
    torch::autograd::variable_list inputs = {saved[0].detach().requires_grad_(true)};
    for (auto& p : block->parameters()) inputs.push_back(p);
    torch::Tensor out;
    {
      torch::AutoGradMode grad_on(true);
      Autocast autocast(ctx->saved_data["autocast"].toBool(), saved[0].device().type());
      out = block->forward(inputs[0], saved[1], saved[2], seg);
    }
    auto g = torch::autograd::grad({out}, inputs, {grads[0]}, /*retain_graph=*/false, /*create_graph=*/false,
                                   /*allow_unused=*/true);
    torch::autograd::variable_list result = {g[0], torch::Tensor(), torch::Tensor()};
    result.insert(result.end(), g.begin() + 1, g.end());
    result.push_back(torch::Tensor());  // block
    result.push_back(torch::Tensor());  // seg
    return result;
  }
};

// silu(g) * u of gu = [g | u] (the gate and up projections side by side in the last dim) as
// one autograd function: on CPU in fp32 or bf16, one fused pass forward and one backward
// (kernels.h) where torch's ops take five, and it keeps one tensor for the backward instead of
// three; elsewhere torch's ops.
struct SwiGLU : public torch::autograd::Function<SwiGLU> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& gu_in) {
    auto gu = gu_in.contiguous();
    const int64_t F = gu.size(-1) / 2, rows = gu.numel() / (2 * F);
    std::vector<int64_t> shape = gu.sizes().vec();
    shape.back() = F;
    auto h = torch::empty(shape, gu.options());
    auto run = [&](auto* in, auto* out) {
      parallel_items(rows, F, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) kernels::swiglu(in + 2 * F * r, in + 2 * F * r + F, out + F * r, F);
      });
    };
    gu.scalar_type() == torch::kFloat ? run(data_as<float>(gu), data_as<float>(h)) : run(data_as<kernels::bf16>(gu), data_as<kernels::bf16>(h));
    ctx->save_for_backward({gu});
    return h;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const torch::Tensor gu = ctx->get_saved_variables()[0];
    auto dh = grads[0].to(gu.scalar_type()).contiguous();
    auto dgu = torch::empty_like(gu);
    const int64_t F = gu.size(-1) / 2, rows = gu.numel() / (2 * F);
    auto run = [&](auto* in, auto* d_out, auto* d_in) {
      parallel_items(rows, F, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r)
          kernels::swiglu_backward(in + 2 * F * r, in + 2 * F * r + F, d_out + F * r, d_in + 2 * F * r, d_in + 2 * F * r + F, F);
      });
    };
    if (gu.scalar_type() == torch::kFloat)
      run(data_as<float>(gu), data_as<float>(dh), data_as<float>(dgu));
    else
      run(data_as<kernels::bf16>(gu), data_as<kernels::bf16>(dh), data_as<kernels::bf16>(dgu));
    return {dgu};
  }
};

torch::Tensor swiglu(const torch::Tensor& gu) {
  if (fused_kernels_apply(gu)) return SwiGLU::apply(gu);
  auto g_u = gu.chunk(2, -1);
  return torch::silu(g_u[0]) * g_u[1];
}

torch::nn::Linear linear(int64_t in, int64_t out, bool bias = false) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

}  // namespace

// Parameter names follow transformers' LlamaForCausalLM (without its "model." prefix), so
// checkpoints map one to one.
std::string hf_name(const std::string& module_name) {
  return module_name.rfind("lm_head.", 0) == 0 ? module_name : "model." + module_name;
}

RMSNormImpl::RMSNormImpl(int64_t dim, double eps) : eps_(eps) { weight_ = register_parameter("weight", torch::ones({dim})); }

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  auto xf = x.to(torch::kFloat);  // the norm in fp32 whatever the compute dtype
  auto normed = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + eps_);
  return normed.to(x.scalar_type()) * weight_;
}

AttentionImpl::AttentionImpl(const ModelConfig& c)
    : n_heads_(c.n_heads), n_kv_heads_(c.n_kv_heads), head_dim_(c.head_size()) {
  wq_ = register_module("q_proj", linear(c.d_model, n_heads_ * head_dim_, c.qkv_bias));
  wk_ = register_module("k_proj", linear(c.d_model, n_kv_heads_ * head_dim_, c.qkv_bias));
  wv_ = register_module("v_proj", linear(c.d_model, n_kv_heads_ * head_dim_, c.qkv_bias));
  wo_ = register_module("o_proj", linear(n_heads_ * head_dim_, c.d_model, c.o_bias));
  if (c.qk_norm) {
    q_norm_ = register_module("q_norm", RMSNorm(head_dim_, c.norm_eps));
    k_norm_ = register_module("k_norm", RMSNorm(head_dim_, c.norm_eps));
  }
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                     const RowSegments& seg, LayerCache* cache) {
  const int64_t B = x.size(0), T = x.size(1);
  // (B, T, C) -> (B, heads, T, head_dim)
  // The three projections as one matmul (one larger GEMM, one cast of x under autocast).
  const torch::Tensor bias = wq_->bias.defined() ? torch::cat({wq_->bias, wk_->bias, wv_->bias}, 0) : torch::Tensor();
  auto qkv = torch::nn::functional::linear(x, torch::cat({wq_->weight, wk_->weight, wv_->weight}, 0), bias)
                 .split({n_heads_ * head_dim_, n_kv_heads_ * head_dim_, n_kv_heads_ * head_dim_}, -1);
  auto q = qkv[0].view({B, T, n_heads_, head_dim_}).transpose(1, 2);
  auto k = qkv[1].view({B, T, n_kv_heads_, head_dim_}).transpose(1, 2);
  auto v = qkv[2].view({B, T, n_kv_heads_, head_dim_}).transpose(1, 2);
  if (q_norm_) q = q_norm_(q), k = k_norm_(k);
  // In the projections' dtype (bf16 under autocast), so attention runs in it too.
  auto c = cos.unsqueeze(1).to(q.scalar_type()), s = sin.unsqueeze(1).to(q.scalar_type());
  q = q * c + rotate_half(q) * s;
  k = k * c + rotate_half(k) * s;
  bool decoding = false;
  if (cache) {
    if (B != 1 || seg.packed) throw std::invalid_argument("a key/value cache takes one unpacked row");
    decoding = cache->k.defined();
    if (decoding && T != 1) throw std::invalid_argument("after the prompt, the cache takes one token at a time");
    cache->k = decoding ? torch::cat({cache->k, k}, 2) : k;
    cache->v = decoding ? torch::cat({cache->v, v}, 2) : v;
    k = cache->k;
    v = cache->v;
  }
  if (n_kv_heads_ != n_heads_) {
    k = k.repeat_interleave(n_heads_ / n_kv_heads_, 1);
    v = v.repeat_interleave(n_heads_ / n_kv_heads_, 1);
  }
  torch::Tensor out;
  if (decoding) {
    // One new query against every cached key: nothing lies in its future.
    auto scores = torch::matmul(q, k.transpose(-2, -1)).to(torch::kFloat) / std::sqrt(static_cast<double>(head_dim_));
    out = torch::matmul(torch::softmax(scores, -1).to(v.scalar_type()), v);
  } else if (flash_attention_applies(q)) {
    // Padded rows are one segment each, the width of the row (padding costs what it costs).
    out = flash_segment_attention(q, k, v, seg.packed ? seg.cu_seqlens : std::vector<std::vector<int64_t>>(B, {0, T}));
  } else if (!seg.packed) {
    // Padded rows: right padding never precedes a real token, so causal attention over the
    // whole width is exact for the real tokens (and costs what padding costs on a GPU). Every
    // row has the same one segment: rows and heads go through together.
    const int64_t D = head_dim_;
    out = segment_attention(q.reshape({B * n_heads_, T, D}), k.reshape({B * n_heads_, T, D}),
                            v.reshape({B * n_heads_, T, D}), {0, T})
              .view({B, n_heads_, T, D});
  } else {
    // Packed rows: attention within each sequence only: cost sum n_i^2.
    std::vector<torch::Tensor> rows;
    for (int64_t b = 0; b < B; ++b) rows.push_back(segment_attention(q[b], k[b], v[b], seg.cu_seqlens[static_cast<size_t>(b)]));
    out = torch::stack(rows, 0);
  }
  return wo_(out.transpose(1, 2).reshape({B, T, n_heads_ * head_dim_}));
}

BlockImpl::BlockImpl(const ModelConfig& c) {
  attn_norm_ = register_module("input_layernorm", RMSNorm(c.d_model, c.norm_eps));
  mlp_norm_ = register_module("post_attention_layernorm", RMSNorm(c.d_model, c.norm_eps));
  attn_ = register_module("self_attn", Attention(c));
  mlp_ = register_module("mlp", MLP(c));
}

MLPImpl::MLPImpl(const ModelConfig& c) {
  gate_ = register_module("gate_proj", linear(c.d_model, c.d_ff));
  up_ = register_module("up_proj", linear(c.d_model, c.d_ff));
  down_ = register_module("down_proj", linear(c.d_ff, c.d_model));
}

// The gate and up projections as one matmul (one larger GEMM, one cast of x under autocast).
torch::Tensor MLPImpl::forward(const torch::Tensor& x) {
  return down_(swiglu(torch::nn::functional::linear(x, torch::cat({gate_->weight, up_->weight}, 0))));
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                 const RowSegments& seg, LayerCache* cache) {
  auto h = x + attn_(attn_norm_(x), cos, sin, seg, cache);
  return h + mlp_(mlp_norm_(h));
}

torch::Tensor rope_inv_freq(const ModelConfig& c) {
  const int64_t hd = c.head_size();
  auto inv_freq = 1.0 / torch::pow(c.rope_theta, torch::arange(0, hd, 2, torch::kDouble) / static_cast<double>(hd));
  const RopeScaling& s = c.rope_scaling;
  if (s.type == "linear") return inv_freq / s.factor;
  if (s.type == "llama3") {
    // transformers' _compute_llama3_parameters: wavelengths longer than the original context
    // over low_freq_factor are stretched by factor, shorter than it over high_freq_factor
    // kept, and those between blended.
    const double old_len = static_cast<double>(s.original_max_position_embeddings);
    auto wavelen = 2 * M_PI / inv_freq;
    auto scaled = torch::where(wavelen > old_len / s.low_freq_factor, inv_freq / s.factor, inv_freq);
    auto smooth = (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
    auto blended = (1 - smooth) * scaled / s.factor + smooth * scaled;
    auto medium = (wavelen >= old_len / s.high_freq_factor).logical_and(wavelen <= old_len / s.low_freq_factor);
    return torch::where(medium, blended, scaled);
  }
  if (s.type == "yarn") {
    // transformers' _compute_yarn_parameters: the dimension at which a frequency turns
    // `rotations` times over the original context, the ramp between beta_fast's and beta_slow's.
    const double old_len = static_cast<double>(s.original_max_position_embeddings);
    auto dim_of = [&](double rotations) { return hd * std::log(old_len / (rotations * 2 * M_PI)) / (2 * std::log(c.rope_theta)); };
    double low = dim_of(s.beta_fast), high = dim_of(s.beta_slow);
    if (s.truncate) low = std::floor(low), high = std::ceil(high);
    low = std::max(low, 0.0), high = std::min(high, static_cast<double>(hd - 1));
    if (low == high) high += 0.001;
    auto ramp = ((torch::arange(hd / 2, torch::kDouble) - low) / (high - low)).clamp(0, 1);
    auto keep = 1 - ramp;  // the share of the unscaled frequency
    return inv_freq / s.factor * (1 - keep) + inv_freq * keep;
  }
  if (!s.type.empty()) throw std::invalid_argument("model: RoPE scaling '" + s.type + "' is not implemented");
  return inv_freq;
}

LlamaImpl::LlamaImpl(const ModelConfig& c) : c_(c) {
  if ((!c.head_dim && c.d_model % c.n_heads) || c.n_heads % c.n_kv_heads || c.head_size() % 2)
    throw std::invalid_argument("model: d_model must split into n_heads even-sized heads (or head_dim be even), n_heads into n_kv_heads groups");
  embed_ = register_module("embed_tokens", torch::nn::Embedding(c.vocab_size, c.d_model));
  layers_ = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.n_layers; ++i) {
    blocks_.push_back(Block(c));
    layers_->push_back(blocks_.back());
  }
  norm_ = register_module("norm", RMSNorm(c.d_model, c.norm_eps));
  if (!c.tie_embeddings) head_ = register_module("lm_head", linear(c.d_model, c.vocab_size));
  // Computed in double, kept in fp32; a buffer, so it moves with the model to its device.
  inv_freq_ = register_buffer("inv_freq", rope_inv_freq(c).to(torch::kFloat));
  torch::NoGradGuard no_grad;
  for (auto& p : named_parameters())
    if (p.key().size() > 5 && p.key().compare(p.key().size() - 5, 5, ".bias") == 0) {
      p.value().zero_();  // as transformers starts them
    } else if (p.key().find("norm") == std::string::npos) {
      p.value().normal_(0.0, 0.02);
    }
}

torch::Tensor LlamaImpl::forward(const torch::Tensor& ids, const torch::Tensor& positions, const RowSegments& seg,
                                 std::vector<LayerCache>* cache) {
  if (c_.sliding_window && positions.numel() && positions.max().item<int64_t>() >= c_.sliding_window)
    throw std::invalid_argument("model: a sequence reaches position " + std::to_string(positions.max().item<int64_t>()) +
                                ", beyond config.json's sliding_window (" + std::to_string(c_.sliding_window) +
                                "); the engine's attention is full, so sequences may not be longer");
  if (cache) cache->resize(blocks_.size());
  auto freqs = positions.to(torch::kFloat).unsqueeze(-1) * inv_freq_;  // (B, T, head_dim / 2)
  auto emb = torch::cat({freqs, freqs}, -1);
  auto cos = emb.cos(), sin = emb.sin();
  if (c_.rope_scaling.type == "yarn") cos = cos * c_.rope_scaling.attention_factor, sin = sin * c_.rope_scaling.attention_factor;
  auto h = embed_(ids);
  const bool recompute = checkpoint_layers_ && torch::GradMode::is_enabled() && !cache;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    auto& b = blocks_[i];
    if (recompute) {
      std::vector<torch::Tensor> params = b->parameters();
      h = CheckpointedBlock::apply(h, cos, sin, at::TensorList(params), b.get(), &seg);
    } else {
      h = b->forward(h, cos, sin, seg, cache ? &(*cache)[i] : nullptr);
    }
  }
  return norm_(h);
}

torch::Tensor LlamaImpl::lm_head(const torch::Tensor& hidden) {
  return c_.tie_embeddings ? torch::matmul(hidden, embed_->weight.t()) : head_(hidden);
}

}  // namespace longalign::engine
