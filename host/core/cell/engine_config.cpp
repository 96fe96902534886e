#include "cell/engine_config.h"

#include <algorithm>

#include "checkpoint/hf_config.h"

namespace longalign::host {

const std::vector<std::string>& model_shape_keys() {
  static const std::vector<std::string> keys = {"d_model", "layers", "heads", "kv_heads", "d_ff"};
  return keys;
}

int64_t model_shape_key(const ModelSection& m, const std::string& key) {
  if (key == "d_model") return m.d_model;
  if (key == "layers") return m.layers;
  if (key == "heads") return m.heads;
  if (key == "kv_heads") return m.kv_heads;
  if (key == "d_ff") return m.d_ff;
  throw std::invalid_argument("no model shape key '" + key + "'");
}

engine::ModelConfig model_shape(const ModelSection& m) {
  engine::ModelConfig c = engine::model_preset(m.preset);
  if (m.d_model) {
    c.d_model = m.d_model;
    c.d_ff = (c.d_model * 8 / 3 + 3) / 4 * 4;  // SwiGLU's 8/3, a multiple of 4 (the tiny preset's 172)
  }
  if (m.layers) c.n_layers = m.layers;
  if (m.heads) c.n_heads = c.n_kv_heads = m.heads;
  if (m.kv_heads) c.n_kv_heads = m.kv_heads;
  if (m.d_ff) c.d_ff = m.d_ff;
  const std::string heads_key = m.heads ? "model.heads" : "model.d_model";
  if (c.d_model % c.n_heads != 0)
    throw ShapeError(heads_key, "d_model " + std::to_string(c.d_model) + " does not split into " + std::to_string(c.n_heads) + " heads");
  if ((c.d_model / c.n_heads) % 2 != 0)
    throw ShapeError(heads_key, "a head of " + std::to_string(c.d_model / c.n_heads) + " dimensions: rotary positions need an even number");
  if (c.n_kv_heads > c.n_heads || c.n_heads % c.n_kv_heads != 0)
    throw ShapeError("model.kv_heads", std::to_string(c.n_kv_heads) + " key/value heads do not divide " + std::to_string(c.n_heads) +
                                           " query heads");
  return c;
}

engine::ModelConfig model_config(const ModelSection& model, const std::optional<engine::ModelConfig>& loaded,
                                 int64_t vocab_size) {
  engine::ModelConfig c;
  if (loaded) {
    c = *loaded;
  } else {
    c = model_shape(model);
    c.vocab_size = vocab_size;
  }
  if (model.rope_theta > 0) c.rope_theta = model.rope_theta;
  if (model.rope_scaling != "keep") c.rope_scaling = {};
  if (model.rope_scaling == "linear" || model.rope_scaling == "yarn") {
    c.rope_scaling.type = model.rope_scaling;
    c.rope_scaling.factor = model.rope_factor;
    c.rope_scaling.original_max_position_embeddings = model.rope_original_context;
    c.rope_scaling.attention_factor = yarn_attention_factor(model.rope_factor);
  }
  return c;
}

engine::TrainConfig train_config(const TrainSection& t, uint64_t seed, int threads, int64_t total_steps) {
  engine::TrainConfig c;
  c.lr = t.lr;
  c.min_lr_ratio = t.min_lr_ratio;
  c.total_steps = std::max<int64_t>(1, total_steps);
  c.warmup_steps = static_cast<int64_t>(t.warmup_ratio * static_cast<double>(total_steps) + 0.5);
  c.schedule = t.schedule;
  c.beta1 = t.beta1;
  c.beta2 = t.beta2;
  c.weight_decay = t.weight_decay;
  c.grad_clip = t.grad_clip;
  c.seed = seed;
  c.threads = threads;
  c.precision = t.precision;
  c.device = t.device;
  c.gradient_checkpointing = t.gradient_checkpointing;
  return c;
}

}  // namespace longalign::host
