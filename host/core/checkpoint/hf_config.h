// Hugging Face's config.json for LlamaForCausalLM, read into the engine's ModelConfig and
// written from it. What the engine cannot compute exactly (rope_scaling, attention or MLP
// biases, a head_dim that is not hidden_size / num_attention_heads, another activation) is an
// error naming the key, never silently ignored; keys that do not change the computation
// (token ids, max_position_embeddings, torch_dtype, ...) are accepted.
#pragma once
#include <string>

#include "engine.h"

namespace longalign::host {

// Throws CheckpointError: "PATH: key 'rope_scaling': ..." (with a suggestion for a misspelt key).
engine::ModelConfig parse_hf_config(const std::string& json_text, const std::string& path);

// config.json for `c`, tensors stored as `dtype`.
std::string hf_config_json(const engine::ModelConfig& c, engine::DType dtype);

}  // namespace longalign::host
