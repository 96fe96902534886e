#include "cell/model_shape.h"

namespace longalign::host {

const std::vector<std::string>& model_shape_keys() {
  static const std::vector<std::string> keys = {"d_model", "layers", "heads", "kv_heads", "d_ff"};
  return keys;
}

engine::ModelConfig model_shape(const nlohmann::json& model) {
  engine::ModelConfig c = engine::model_preset(model["preset"]);
  auto set = [&](const char* key) { return model.value(key, int64_t{0}); };
  if (set("d_model")) {
    c.d_model = set("d_model");
    c.d_ff = (c.d_model * 8 / 3 + 3) / 4 * 4;  // SwiGLU's 8/3, a multiple of 4 (the tiny preset's 172)
  }
  if (set("layers")) c.n_layers = set("layers");
  if (set("heads")) c.n_heads = c.n_kv_heads = set("heads");
  if (set("kv_heads")) c.n_kv_heads = set("kv_heads");
  if (set("d_ff")) c.d_ff = set("d_ff");
  if (c.d_model % c.n_heads != 0)
    throw ShapeError(set("heads") ? "model.heads" : "model.d_model", "d_model " + std::to_string(c.d_model) + " does not split into " +
                                                                        std::to_string(c.n_heads) + " heads");
  if ((c.d_model / c.n_heads) % 2 != 0)
    throw ShapeError(set("heads") ? "model.heads" : "model.d_model",
                     "a head of " + std::to_string(c.d_model / c.n_heads) + " dimensions: rotary positions need an even number");
  if (c.n_kv_heads > c.n_heads || c.n_heads % c.n_kv_heads != 0)
    throw ShapeError("model.kv_heads", std::to_string(c.n_kv_heads) + " key/value heads do not divide " + std::to_string(c.n_heads) +
                                           " query heads");
  return c;
}

}  // namespace longalign::host
