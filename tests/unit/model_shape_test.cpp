// A cell's model shape: the preset, with the model.* keys that are set overriding it, refused
// with the key to blame where the engine could not build it.
#include <gtest/gtest.h>

#include "cell/model_shape.h"

namespace longalign::host {
namespace {

nlohmann::json model(nlohmann::json keys) {
  nlohmann::json m = {{"preset", "tiny"}, {"d_model", 0}, {"layers", 0}, {"heads", 0}, {"kv_heads", 0}, {"d_ff", 0}};
  m.update(keys);
  return m;
}

std::string blamed(const nlohmann::json& m) {
  try {
    model_shape(m);
  } catch (const ShapeError& e) {
    return e.key + ": " + e.what();
  }
  return "";
}

TEST(ModelShape, UnsetKeysKeepThePreset) {
  const engine::ModelConfig c = model_shape(model(nlohmann::json::object()));
  const engine::ModelConfig tiny = engine::model_preset("tiny");
  EXPECT_EQ(c.d_model, tiny.d_model);
  EXPECT_EQ(c.n_layers, tiny.n_layers);
  EXPECT_EQ(c.n_heads, tiny.n_heads);
  EXPECT_EQ(c.n_kv_heads, tiny.n_kv_heads);
  EXPECT_EQ(c.d_ff, tiny.d_ff);
}

TEST(ModelShape, SetKeysOverrideIt) {
  engine::ModelConfig c = model_shape(model({{"d_model", 128}, {"layers", 3}, {"heads", 2}}));
  EXPECT_EQ(c.d_model, 128);
  EXPECT_EQ(c.d_ff, 344) << "8/3 of 128, up to a multiple of 4";
  EXPECT_EQ(c.n_layers, 3);
  EXPECT_EQ(c.n_heads, 2);
  EXPECT_EQ(c.n_kv_heads, 2) << "as many key/value heads as heads";
  c = model_shape(model({{"heads", 8}, {"kv_heads", 2}, {"d_ff", 100}}));
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.d_ff, 100);
  EXPECT_EQ(model_shape(model({{"d_model", 64}})).d_ff, engine::model_preset("tiny").d_ff);
}

TEST(ModelShape, ShapesTheEngineCannotBuildNameTheirKey) {
  EXPECT_EQ(blamed(model({{"heads", 3}})), "model.heads: d_model 64 does not split into 3 heads");
  EXPECT_EQ(blamed(model({{"d_model", 60}})), "model.d_model: a head of 15 dimensions: rotary positions need an even number");
  EXPECT_EQ(blamed(model({{"heads", 8}, {"kv_heads", 3}})), "model.kv_heads: 3 key/value heads do not divide 8 query heads");
  EXPECT_EQ(blamed(model({{"kv_heads", 8}})), "model.kv_heads: 8 key/value heads do not divide 4 query heads");
}

}  // namespace
}  // namespace longalign::host
