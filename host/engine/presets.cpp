// Model presets and their parameter counts, torch-free.
#include <map>
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

int64_t param_count(const ModelConfig& c) {
  const int64_t hd = c.d_model / c.n_heads;
  const int64_t attn = c.d_model * (c.n_heads * hd) * 2 + c.d_model * (c.n_kv_heads * hd) * 2;
  const int64_t mlp = 3 * c.d_model * c.d_ff;
  const int64_t layer = attn + mlp + 2 * c.d_model;
  return c.vocab_size * c.d_model * (c.tie_embeddings ? 1 : 2) + c.n_layers * layer + c.d_model;
}

}  // namespace longalign::engine
