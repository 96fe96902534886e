// The network a cell trains from scratch: its model.preset, with the model.* shape keys that are
// set (non-zero) overriding it. Torch-free, so the plan checks a shape with the same function the
// worker builds the engine's model from.
#pragma once
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

#include "engine.h"

namespace longalign::host {

// A shape that cannot be built, with the key that makes it so.
struct ShapeError : std::invalid_argument {
  ShapeError(std::string key, const std::string& message) : std::invalid_argument(message), key(std::move(key)) {}
  std::string key;
};

// The shape keys: model.d_model, .layers, .heads, .kv_heads, .d_ff (0: the preset's).
const std::vector<std::string>& model_shape_keys();

// From a resolved config's model section; throws ShapeError.
engine::ModelConfig model_shape(const nlohmann::json& model);

}  // namespace longalign::host
