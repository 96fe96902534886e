// Hugging Face's config.json for the Llama family (llama, mistral, qwen2, qwen3), read into the
// engine's ModelConfig and written from it as the same family. What the engine cannot compute
// exactly (another model_type or RoPE scaling, MLP biases, a sliding window in use, another
// activation) is an error naming the key, never silently ignored; keys that do not change the
// computation (token ids, max_position_embeddings, torch_dtype, ...) are accepted.
#pragma once
#include <string>

#include "engine.h"

namespace longalign::host {

// Throws CheckpointError: "PATH: key 'rope_scaling': ..." (with a suggestion for a misspelt key).
engine::ModelConfig parse_hf_config(const std::string& json_text, const std::string& path);

// YaRN's scale of cos and sin where config.json gives no attention_factor, as transformers
// derives it: 0.1 mscale ln(factor) + 1 (1 for a factor of at most 1).
double yarn_attention_factor(double factor, double mscale = 1.0);

// config.json for `c`, tensors stored as `dtype`.
std::string hf_config_json(const engine::ModelConfig& c, engine::DType dtype);

}  // namespace longalign::host
