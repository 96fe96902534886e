// Model presets and their parameter counts, torch-free.
#include <map>
#include <string>
#include <stdexcept>

#include "engine.h"

namespace longalign::engine {
namespace {

const std::map<std::string, ModelConfig>& presets() {
  static const std::map<std::string, ModelConfig> p = {
      {"tiny", {259, 64, 2, 4, 4, 172, 10000.0, 1e-5, false}},
      {"small", {259, 256, 4, 4, 4, 688, 10000.0, 1e-5, false}},
      {"base", {259, 512, 8, 8, 8, 1376, 10000.0, 1e-5, false}},
      {"llama2-7b", {32000, 4096, 32, 32, 32, 11008, 10000.0, 1e-5, false}},
  };
  return p;
}

}  // namespace

ModelConfig model_preset(const std::string& name) {
  auto it = presets().find(name);
  if (it == presets().end()) throw std::invalid_argument("unknown model preset '" + name + "'");
  return it->second;
}

const std::vector<std::string>& model_preset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (auto& [k, _] : presets()) n.push_back(k);
    return n;
  }();
  return names;
}

std::vector<TensorShape> tensor_layout(const ModelConfig& c) {
  const int64_t hd = c.head_size();
  std::vector<TensorShape> t = {{"model.embed_tokens.weight", {c.vocab_size, c.d_model}}};
  for (int64_t i = 0; i < c.n_layers; ++i) {
    const std::string l = "model.layers." + std::to_string(i) + ".";
    t.push_back({l + "input_layernorm.weight", {c.d_model}});
    t.push_back({l + "self_attn.q_proj.weight", {c.n_heads * hd, c.d_model}});
    if (c.qkv_bias) t.push_back({l + "self_attn.q_proj.bias", {c.n_heads * hd}});
    t.push_back({l + "self_attn.k_proj.weight", {c.n_kv_heads * hd, c.d_model}});
    if (c.qkv_bias) t.push_back({l + "self_attn.k_proj.bias", {c.n_kv_heads * hd}});
    t.push_back({l + "self_attn.v_proj.weight", {c.n_kv_heads * hd, c.d_model}});
    if (c.qkv_bias) t.push_back({l + "self_attn.v_proj.bias", {c.n_kv_heads * hd}});
    t.push_back({l + "self_attn.o_proj.weight", {c.d_model, c.n_heads * hd}});
    if (c.o_bias) t.push_back({l + "self_attn.o_proj.bias", {c.d_model}});
    if (c.qk_norm) {
      t.push_back({l + "self_attn.q_norm.weight", {hd}});
      t.push_back({l + "self_attn.k_norm.weight", {hd}});
    }
    t.push_back({l + "post_attention_layernorm.weight", {c.d_model}});
    t.push_back({l + "mlp.gate_proj.weight", {c.d_ff, c.d_model}});
    t.push_back({l + "mlp.up_proj.weight", {c.d_ff, c.d_model}});
    t.push_back({l + "mlp.down_proj.weight", {c.d_model, c.d_ff}});
  }
  t.push_back({"model.norm.weight", {c.d_model}});
  if (!c.tie_embeddings) t.push_back({"lm_head.weight", {c.vocab_size, c.d_model}});
  return t;
}

int64_t param_count(const ModelConfig& c) {
  int64_t n = 0;
  for (auto& t : tensor_layout(c)) {
    int64_t k = 1;
    for (int64_t d : t.shape) k *= d;
    n += k;
  }
  return n;
}

double training_flops(const ModelConfig& c, const std::vector<int64_t>& lengths) {
  double tokens = 0, squares = 0;
  for (int64_t n : lengths) tokens += static_cast<double>(n), squares += static_cast<double>(n) * static_cast<double>(n);
  return 6.0 * static_cast<double>(param_count(c)) * tokens + 6.0 * static_cast<double>(c.n_layers * c.n_heads * c.head_size()) * squares;
}

size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 2; }

}  // namespace longalign::engine
