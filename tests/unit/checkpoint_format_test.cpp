// The checkpoint readers' errors, each naming the file and the key or tensor at fault.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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
  EXPECT_EQ(config_error({{"attention_bias", true}}),
            "m/config.json: key 'attention_bias': true is not supported: the engine's projections have no bias");
  EXPECT_EQ(config_error({{"head_dim", 16}}),
            "m/config.json: key 'head_dim': 16 is not supported: the engine's heads are hidden_size / num_attention_heads = 8");
  EXPECT_EQ(config_error({{"hidden_act", "gelu"}}),
            "m/config.json: key 'hidden_act': \"gelu\" is not supported: the engine's MLP is SwiGLU with SiLU");
  EXPECT_EQ(config_error({{"rope_thetta", 1e6}}),
            "m/config.json: key 'rope_thetta': is not supported by this engine's Llama (did you mean 'rope_theta'?)");
  EXPECT_EQ(config_error({{"num_key_value_heads", 3}}),
            "m/config.json: key 'num_key_value_heads': 3 does not divide num_attention_heads 8");
  EXPECT_EQ(config_error({{"vocab_size", "300"}}), "m/config.json: key 'vocab_size': expected a positive integer, got \"300\"");
  EXPECT_EQ(config_error({{"hidden_size", nullptr}}), "m/config.json: key 'hidden_size': is missing");
  EXPECT_EQ(config_error({{"max_position_embeddings", 4096}, {"torch_dtype", "bfloat16"}, {"bos_token_id", 1}}), "");
}

TEST(HfConfig, ReadsTransformers5RopeParametersAndRejectsScaledRope) {
  EXPECT_EQ(parse_hf_config(R"({"hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 8,
      "vocab_size": 300, "dtype": "float32", "rope_parameters": {"rope_type": "default", "rope_theta": 50000.0}})", "m")
                .rope_theta,
            50000.0);
  EXPECT_EQ(config_error({{"rope_parameters", {{"rope_type", "yarn"}, {"rope_theta", 1e4}, {"factor", 4.0}}}}),
            "m/config.json: key 'rope_parameters': 'factor' is not supported: the engine's RoPE is unscaled (extend "
            "context through rope_theta)");
  EXPECT_EQ(config_error({{"rope_parameters", {{"rope_type", "llama3"}}}}),
            "m/config.json: key 'rope_parameters': rope_type \"llama3\" is not supported: the engine's RoPE is the "
            "default, unscaled one");
  EXPECT_EQ(config_error({{"rope_parameters", 5}}), "m/config.json: key 'rope_parameters': expected an object, got 5");
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
