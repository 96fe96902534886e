// From a cell's typed config to the engine's: the model shape (the preset, with the model.* keys
// that are set overriding it, refused with the key to blame where the engine could not build it),
// the loaded model's config, and the optimizer's settings.
#include <gtest/gtest.h>

#include "cell/engine_config.h"

namespace longalign::host {
namespace {

ModelSection model(const nlohmann::json& keys) {
  ModelSection m;
  m.preset = "tiny";
  m.d_model = keys.value("d_model", 0);
  m.layers = keys.value("layers", 0);
  m.heads = keys.value("heads", 0);
  m.kv_heads = keys.value("kv_heads", 0);
  m.d_ff = keys.value("d_ff", 0);
  return m;
}

std::string blamed(const ModelSection& m) {
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

TEST(ModelShape, EveryShapeKeyReadsItsField) {
  const ModelSection m = model({{"d_model", 1}, {"layers", 2}, {"heads", 3}, {"kv_heads", 4}, {"d_ff", 5}});
  std::vector<int64_t> values;
  for (auto& key : model_shape_keys()) values.push_back(model_shape_key(m, key));
  EXPECT_EQ(values, (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_THROW(model_shape_key(m, "width"), std::invalid_argument);
}

TEST(ModelConfig, APresetTrainsOnTheByteVocabularyAndALoadedModelKeepsItsOwn) {
  EXPECT_EQ(model_config(model(nlohmann::json::object()), std::nullopt, 259).vocab_size, 259);
  engine::ModelConfig loaded = engine::model_preset("small");
  loaded.vocab_size = 32000;
  loaded.rope_theta = 500000;
  ModelSection m = model({{"layers", 9}});  // the plan refuses shape keys beside init_from; loaded wins here
  const engine::ModelConfig c = model_config(m, loaded, 259);
  EXPECT_EQ(c.vocab_size, 32000);
  EXPECT_EQ(c.n_layers, loaded.n_layers);
  EXPECT_EQ(c.rope_theta, 500000) << "rope_theta 0 keeps the loaded base";
  m.rope_theta = 2e6;  // context extension: a new RoPE base over loaded weights
  EXPECT_EQ(model_config(m, loaded, 259).rope_theta, 2e6);
  EXPECT_EQ(model_config(m, std::nullopt, 259).rope_theta, 2e6);
}

TEST(TrainConfig, CarriesEveryOptimizerSettingAndRoundsTheWarmup) {
  TrainSection t;
  t.lr = 3e-4;
  t.min_lr_ratio = 0.2;
  t.warmup_ratio = 0.03;
  t.schedule = "linear";
  t.beta1 = 0.8;
  t.beta2 = 0.9;
  t.weight_decay = 0.1;
  t.grad_clip = 0.5;
  t.precision = "bf16";
  t.device = "cpu";
  t.gradient_checkpointing = true;
  const engine::TrainConfig c = train_config(t, 7, 3, 250);
  EXPECT_EQ(c.lr, 3e-4);
  EXPECT_EQ(c.min_lr_ratio, 0.2);
  EXPECT_EQ(c.schedule, "linear");
  EXPECT_EQ(c.beta1, 0.8);
  EXPECT_EQ(c.beta2, 0.9);
  EXPECT_EQ(c.weight_decay, 0.1);
  EXPECT_EQ(c.grad_clip, 0.5);
  EXPECT_EQ(c.precision, "bf16");
  EXPECT_EQ(c.device, "cpu");
  EXPECT_TRUE(c.gradient_checkpointing);
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.total_steps, 250);
  EXPECT_EQ(c.warmup_steps, 8) << "3% of 250 steps is 7.5: the nearest whole step, rounding half up";
  EXPECT_EQ(train_config(t, 0, 1, 0).total_steps, 1) << "an untrained cell still has a schedule of one step";
  EXPECT_EQ(train_config(t, 0, 1, 0).warmup_steps, 0);
}

}  // namespace
}  // namespace longalign::host
