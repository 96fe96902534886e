#include "checkpoint/hf_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "checkpoint/checkpoint_error.h"
#include "util/nearest.h"

namespace longalign::host {
namespace {

// Keys that do not change what the model computes.
const std::vector<std::string> kInformational = {
    "_name_or_path", "bos_token_id", "eos_token_id", "pad_token_id", "max_position_embeddings", "torch_dtype",
    "dtype", "transformers_version", "initializer_range", "use_cache", "max_sequence_length"};

struct Reader {
  const nlohmann::json& j;
  const std::string& path;

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw CheckpointError(path + ": key '" + key + "': " + what);
  }
  const nlohmann::json* find(const std::string& key) const {
    auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
  }
  int64_t positive(const std::string& key, std::optional<int64_t> def = std::nullopt) const {
    const nlohmann::json* v = find(key);
    if (!v || v->is_null()) {
      if (def) return *def;
      fail(key, "is missing");
    }
    if (!v->is_number_integer() || v->get<int64_t>() <= 0 || v->get<int64_t>() > (int64_t{1} << 40))
      fail(key, "expected a positive integer, got " + v->dump());
    return v->get<int64_t>();
  }
  double number(const std::string& key, double def) const {
    const nlohmann::json* v = find(key);
    if (!v || v->is_null()) return def;
    if (!v->is_number() || !(v->get<double>() > 0)) fail(key, "expected a positive number, got " + v->dump());
    return v->get<double>();
  }
  bool boolean(const std::string& key, bool def) const {
    const nlohmann::json* v = find(key);
    if (!v || v->is_null()) return def;
    if (!v->is_boolean()) fail(key, "expected true or false, got " + v->dump());
    return v->get<bool>();
  }
  // A key the engine supports with one value only.
  void only(const std::string& key, const nlohmann::json& supported, const std::string& why) const {
    const nlohmann::json* v = find(key);
    if (v && !v->is_null() && *v != supported) fail(key, v->dump() + " is not supported: " + why);
  }
};

}  // namespace

engine::ModelConfig parse_hf_config(const std::string& json_text, const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(path + ": bad JSON: " + e.what());
  }
  if (!j.is_object()) throw CheckpointError(path + ": not a JSON object");
  const Reader r{j, path};
  const std::vector<std::string> known = {
      "architectures", "model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
      "num_key_value_heads", "vocab_size", "rms_norm_eps", "rope_theta", "tie_word_embeddings", "hidden_act",
      "head_dim", "attention_bias", "mlp_bias", "attention_dropout", "rope_scaling", "pretraining_tp", "rope_parameters"};
  for (auto& [key, _] : j.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end() ||
        std::find(kInformational.begin(), kInformational.end(), key) != kInformational.end())
      continue;
    std::vector<std::string> all = known;
    all.insert(all.end(), kInformational.begin(), kInformational.end());
    r.fail(key, "is not supported by this engine's Llama" + did_you_mean(key, all));
  }
  r.only("model_type", "llama", "this engine runs Llama models");
  if (auto* a = r.find("architectures"); a && !a->is_null() && *a != nlohmann::json::array({"LlamaForCausalLM"}))
    r.fail("architectures", a->dump() + " is not supported: this engine runs LlamaForCausalLM");
  r.only("hidden_act", "silu", "the engine's MLP is SwiGLU with SiLU");
  r.only("attention_bias", false, "the engine's projections have no bias");
  r.only("mlp_bias", false, "the engine's projections have no bias");
  r.only("attention_dropout", 0.0, "the engine has no attention dropout");
  r.only("rope_scaling", nullptr, "the engine's RoPE is unscaled (extend context through rope_theta)");
  r.only("pretraining_tp", 1, "tensor-parallel slicing of the forward is not implemented");

  engine::ModelConfig c;
  c.vocab_size = r.positive("vocab_size");
  c.d_model = r.positive("hidden_size");
  c.d_ff = r.positive("intermediate_size");
  c.n_layers = r.positive("num_hidden_layers");
  c.n_heads = r.positive("num_attention_heads");
  c.n_kv_heads = r.positive("num_key_value_heads", c.n_heads);
  c.norm_eps = r.number("rms_norm_eps", 1e-6);
  c.rope_theta = r.number("rope_theta", 10000.0);
  // transformers 5 writes RoPE's settings as {"rope_type": "default", "rope_theta": ...}.
  if (auto* rope = r.find("rope_parameters"); rope && !rope->is_null()) {
    const Reader p{*rope, path};
    if (!rope->is_object()) r.fail("rope_parameters", "expected an object, got " + rope->dump());
    for (auto& [key, _] : rope->items())
      if (key != "rope_type" && key != "rope_theta")
        r.fail("rope_parameters", "'" + key + "' is not supported: the engine's RoPE is unscaled (extend context through rope_theta)");
    if (auto* type = p.find("rope_type"); type && *type != "default")
      r.fail("rope_parameters", "rope_type " + type->dump() + " is not supported: the engine's RoPE is the default, unscaled one");
    c.rope_theta = p.number("rope_theta", c.rope_theta);
  }
  c.tie_embeddings = r.boolean("tie_word_embeddings", false);
  if (c.d_model % c.n_heads || (c.d_model / c.n_heads) % 2)
    r.fail("num_attention_heads", std::to_string(c.n_heads) + " does not split hidden_size " + std::to_string(c.d_model) +
                                      " into heads of an even size");
  if (c.n_heads % c.n_kv_heads)
    r.fail("num_key_value_heads", std::to_string(c.n_kv_heads) + " does not divide num_attention_heads " +
                                      std::to_string(c.n_heads));
  if (auto* h = r.find("head_dim"); h && !h->is_null() && *h != c.d_model / c.n_heads)
    r.fail("head_dim", h->dump() + " is not supported: the engine's heads are hidden_size / num_attention_heads = " +
                           std::to_string(c.d_model / c.n_heads));
  return c;
}

std::string hf_config_json(const engine::ModelConfig& c, engine::DType dtype) {
  const char* torch_dtype = dtype == engine::DType::F32 ? "float32" : dtype == engine::DType::F16 ? "float16" : "bfloat16";
  nlohmann::json j = {{"architectures", {"LlamaForCausalLM"}},
                      {"model_type", "llama"},
                      {"hidden_size", c.d_model},
                      {"intermediate_size", c.d_ff},
                      {"num_hidden_layers", c.n_layers},
                      {"num_attention_heads", c.n_heads},
                      {"num_key_value_heads", c.n_kv_heads},
                      {"vocab_size", c.vocab_size},
                      {"rms_norm_eps", c.norm_eps},
                      {"rope_theta", c.rope_theta},
                      {"tie_word_embeddings", c.tie_embeddings},
                      {"hidden_act", "silu"},
                      {"attention_bias", false},
                      {"rope_scaling", nullptr},
                      {"torch_dtype", torch_dtype}};
  return j.dump(2) + "\n";
}

}  // namespace longalign::host
