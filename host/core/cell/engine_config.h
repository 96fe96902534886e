// From a cell's typed config to the engine's: the network (its model.preset, with the model.*
// shape keys that are set overriding it, or the config.json of model.init_from) and the
// optimizer's settings. Torch-free, so resolving a sweep checks a shape with the same function the cell process
// builds the engine's model from, and both are unit-tested without libtorch.
#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cell/cell_config.h"
#include "engine.h"

namespace longalign::host {

// A shape that cannot be built, with the key that makes it so.
struct ShapeError : std::invalid_argument {
  ShapeError(std::string key, const std::string& message) : std::invalid_argument(message), key(std::move(key)) {}
  std::string key;
};

// The shape keys: model.d_model, .layers, .heads, .kv_heads, .d_ff (0: the preset's).
const std::vector<std::string>& model_shape_keys();
// The value of one of them ("d_model", ...).
int64_t model_shape_key(const ModelSection& model, const std::string& key);

// The preset with the shape keys applied; throws ShapeError.
engine::ModelConfig model_shape(const ModelSection& model);

// The network a cell trains: `loaded`, the config.json of model.init_from when it is set, else
// model_shape() over the cell tokenizer's `vocab_size` ids; model.rope_theta, when set, replaces the
// RoPE base (over loaded weights: the paper's context extension, 10k -> 2M).
engine::ModelConfig model_config(const ModelSection& model, const std::optional<engine::ModelConfig>& loaded,
                                 int64_t vocab_size);

// The optimizer and schedule of a cell that takes `total_steps` optimizer steps (warmup: the
// nearest whole number of steps to train.warmup_ratio of them); data parallelism is the
// cell process's to add.
engine::TrainConfig train_config(const TrainSection& train, uint64_t seed, int threads, int64_t total_steps);

}  // namespace longalign::host
