// The checkpoint readers' errors, each naming the file and the key or tensor at fault.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "checkpoint/checkpoint_error.h"
#include "checkpoint/hf_config.h"
#include "checkpoint/safetensors.h"

namespace longalign::host {
namespace {

std::string config_error(nlohmann::json patch) {
  nlohmann::json base = {{"hidden_size", 64}, {"intermediate_size", 96}, {"num_hidden_layers", 2},
                         {"num_attention_heads", 8}, {"vocab_size", 300}};
  base.merge_patch(patch);
  try {
    parse_hf_config(base.dump(), "m/config.json");
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "";
}

TEST(HfConfig, RejectsWhatTheEngineCannotComputeNamingTheKey) {
  EXPECT_EQ(config_error(nlohmann::json::object()), "");
  EXPECT_EQ(config_error({{"mlp_bias", true}}),
            "m/config.json: key 'mlp_bias': true is not supported: the engine's MLP projections have no bias");
  EXPECT_EQ(config_error({{"head_dim", 15}}), "m/config.json: key 'head_dim': 15 is odd: rotary positions need an even head size");
  EXPECT_EQ(config_error({{"model_type", "gemma"}}),
            "m/config.json: key 'model_type': 'gemma' is not supported (supported: llama, mistral, qwen2, qwen3)");
  EXPECT_EQ(config_error({{"model_type", "qwen2"}, {"use_sliding_window", true}}),
            "m/config.json: key 'use_sliding_window': true is not supported: the engine's attention is full");
  EXPECT_EQ(config_error({{"model_type", "qwen2"}, {"architectures", {"LlamaForCausalLM"}}}),
            "m/config.json: key 'architectures': [\"LlamaForCausalLM\"] is not supported: a qwen2 model here is Qwen2ForCausalLM");
  EXPECT_EQ(config_error({{"sliding_window", 4096}}),
            "m/config.json: key 'sliding_window': is not supported for model_type llama");
  EXPECT_EQ(config_error({{"hidden_act", "gelu"}}),
            "m/config.json: key 'hidden_act': \"gelu\" is not supported: the engine's MLP is SwiGLU with SiLU");
  EXPECT_EQ(config_error({{"rope_thetta", 1e6}}),
            "m/config.json: key 'rope_thetta': is not supported for model_type llama (did you mean 'rope_theta'?)");
  EXPECT_EQ(config_error({{"num_key_value_heads", 3}}),
            "m/config.json: key 'num_key_value_heads': 3 does not divide num_attention_heads 8");
  EXPECT_EQ(config_error({{"vocab_size", "300"}}), "m/config.json: key 'vocab_size': expected a positive integer, got \"300\"");
  EXPECT_EQ(config_error({{"hidden_size", nullptr}}), "m/config.json: key 'hidden_size': is missing");
  EXPECT_EQ(config_error({{"max_position_embeddings", 4096}, {"torch_dtype", "bfloat16"}, {"bos_token_id", 1}}), "");
}

TEST(HfConfig, ReadsTransformers5RopeParametersAndTheScalingsItImplements) {
  EXPECT_EQ(parse_hf_config(R"({"hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 8,
      "vocab_size": 300, "dtype": "float32", "rope_parameters": {"rope_type": "default", "rope_theta": 50000.0}})", "m")
                .rope_theta,
            50000.0);
  const engine::ModelConfig linear = parse_hf_config(R"({"hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
      "num_attention_heads": 8, "vocab_size": 300, "rope_parameters": {"rope_type": "linear", "rope_theta": 1e4, "factor": 4.0}})", "m");
  EXPECT_EQ(linear.rope_scaling.type, "linear");
  EXPECT_EQ(linear.rope_scaling.factor, 4.0);
  EXPECT_EQ(config_error({{"rope_parameters", {{"rope_type", "dynamic"}, {"rope_theta", 1e4}, {"factor", 4.0}}}}),
            "m/config.json: key 'rope_parameters': rope type 'dynamic' is not implemented (implemented: default, linear, llama3, "
            "yarn; or raise rope_theta)");
  // Qwen2.5's long-context setting: YaRN over its original 32,768 positions.
  const engine::ModelConfig yarn = parse_hf_config(R"({"hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
      "num_attention_heads": 8, "vocab_size": 300, "model_type": "qwen2", "max_position_embeddings": 32768,
      "rope_scaling": {"factor": 4.0, "original_max_position_embeddings": 32768, "type": "yarn"}})", "m");
  EXPECT_EQ(yarn.rope_scaling.type, "yarn");
  EXPECT_EQ(yarn.rope_scaling.factor, 4.0);
  EXPECT_EQ(yarn.rope_scaling.original_max_position_embeddings, 32768);
  EXPECT_DOUBLE_EQ(yarn.rope_scaling.attention_factor, 0.1 * std::log(4.0) + 1.0);
  EXPECT_EQ(config_error({{"rope_scaling", {{"rope_type", "yarn"}, {"factor", 4.0}}}}),
            "m/config.json: key 'rope_scaling.original_max_position_embeddings': is missing");
  EXPECT_EQ(config_error({{"rope_scaling", {{"rope_type", "llama3"}, {"factor", 8.0}}}}),
            "m/config.json: key 'rope_scaling.original_max_position_embeddings': is missing");
  EXPECT_EQ(config_error({{"rope_scaling", {{"type", "linear"}, {"factor", 2.0}, {"low_freq_factor", 1.0}}}}),
            "m/config.json: key 'rope_scaling': 'low_freq_factor' is not part of the linear scaling");
  EXPECT_EQ(config_error({{"rope_parameters", 5}}), "m/config.json: key 'rope_parameters': expected an object, got 5");
}

// config.json files as their models ship them: each family's shape, and the parameter count
// its model card gives.
TEST(HfConfig, ReadsTheFamiliesAsTheirModelsShipThem) {
  auto read = [](const std::string& name) {
    std::ifstream in(std::string(LONGALIGN_SOURCE_DIR) + "/tests/fixtures/hf-configs/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return parse_hf_config(text.str(), name);
  };
  const engine::ModelConfig qwen2 = read("qwen2.5-0.5b-instruct.json");
  EXPECT_EQ(qwen2.family, "qwen2");
  EXPECT_TRUE(qwen2.qkv_bias);
  EXPECT_FALSE(qwen2.o_bias);
  EXPECT_EQ(engine::param_count(qwen2), 494032768);
  const engine::ModelConfig qwen3 = read("qwen3-0.6b.json");
  EXPECT_TRUE(qwen3.qk_norm);
  EXPECT_EQ(qwen3.head_size(), 128);
  EXPECT_EQ(engine::param_count(qwen3), 596049920);
  const engine::ModelConfig llama = read("llama-3.2-1b.json");
  EXPECT_EQ(llama.rope_scaling.type, "llama3");
  EXPECT_EQ(llama.rope_scaling.factor, 32.0);
  EXPECT_EQ(llama.rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_EQ(engine::param_count(llama), 1235814400);
  const engine::ModelConfig mistral = read("mistral-7b-v0.3.json");
  EXPECT_EQ(mistral.family, "mistral");
  EXPECT_EQ(mistral.sliding_window, 0);
  EXPECT_EQ(engine::param_count(mistral), 7248023552);
  for (const engine::ModelConfig& c : {qwen2, qwen3, llama, mistral}) {
    SCOPED_TRACE(c.family);
    const engine::ModelConfig back = parse_hf_config(hf_config_json(c, engine::DType::BF16), "again");
    EXPECT_EQ(engine::param_count(back), engine::param_count(c));
    EXPECT_EQ(back.family, c.family);
    EXPECT_EQ(back.head_size(), c.head_size());
    EXPECT_EQ(back.rope_scaling.type, c.rope_scaling.type);
    EXPECT_EQ(back.rope_scaling.factor, c.rope_scaling.factor);
  }
}

TEST(HfConfig, WritesWhatItReads) {
  engine::ModelConfig c = engine::model_preset("llama2-7b");
  c.n_kv_heads = 8;
  c.rope_theta = 2e6;
  engine::ModelConfig back = parse_hf_config(hf_config_json(c, engine::DType::BF16), "x");
  EXPECT_EQ(engine::param_count(back), engine::param_count(c));
  EXPECT_EQ(back.n_kv_heads, 8);
  EXPECT_EQ(back.rope_theta, 2e6);
}

std::string header_error(const nlohmann::json& header, size_t data_bytes) {
  std::string h = header.dump(), file;
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((h.size() >> (8 * i)) & 0xff));
  file += h + std::string(data_bytes, '\0');
  try {
    parse_safetensors_header(file, file.size(), "m/model.safetensors");
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, HeaderErrorsNameTheTensor) {
  auto t = [](const char* dtype, std::vector<int> shape, uint64_t b, uint64_t e) {
    return nlohmann::json{{"dtype", dtype}, {"shape", shape}, {"data_offsets", {b, e}}};
  };
  EXPECT_EQ(header_error({{"a", t("F32", {2}, 0, 8)}, {"b", t("BF16", {2}, 8, 12)}}, 12), "");
  EXPECT_EQ(header_error({{"a", t("F64", {2}, 0, 16)}}, 16),
            "m/model.safetensors: tensor 'a': dtype F64 is not supported (F32, F16 or BF16)");
  EXPECT_EQ(header_error({{"a", t("F32", {3}, 0, 8)}}, 8),
            "m/model.safetensors: tensor 'a': 8 bytes for shape [3] of F32, which needs 12");
  EXPECT_EQ(header_error({{"a", t("F32", {2}, 0, 8)}, {"b", t("F32", {1}, 4, 8)}}, 8),
            "m/model.safetensors: tensors 'a' and 'b' overlap");
  EXPECT_EQ(header_error({{"a", {{"dtype", "F32"}, {"shape", {1}}}}}, 4),
            "m/model.safetensors: tensor 'a': needs dtype, shape and data_offsets");
}

}  // namespace
}  // namespace longalign::host
