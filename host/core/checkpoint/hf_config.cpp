#include "checkpoint/hf_config.h"

#include <algorithm>
#include <cmath>
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
  std::string prefix = "";  // the object's own key and a dot, for a nested one

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw CheckpointError(path + ": key '" + prefix + key + "': " + what);
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

// The families read, by model_type: their class, and the keys they add to Llama's.
struct Family {
  std::string model_type, architecture;
  std::vector<std::string> keys;
};
const std::vector<Family>& families() {
  static const std::vector<Family> all = {
      {"llama", "LlamaForCausalLM", {"attention_bias", "mlp_bias", "pretraining_tp"}},
      {"mistral", "MistralForCausalLM", {"sliding_window"}},
      {"qwen2", "Qwen2ForCausalLM", {"use_sliding_window", "sliding_window", "max_window_layers", "layer_types"}},
      {"qwen3", "Qwen3ForCausalLM", {"attention_bias", "use_sliding_window", "sliding_window", "max_window_layers", "layer_types"}},
  };
  return all;
}

// rope_scaling (or transformers 5's rope_parameters, rope_theta beside the scaling's keys).
engine::RopeScaling rope_scaling(const Reader& r, const std::string& key, const nlohmann::json& v) {
  engine::RopeScaling s;
  if (!v.is_object()) r.fail(key, "expected an object, got " + v.dump());
  const Reader p{v, r.path, key + "."};
  const std::string type = v.value("rope_type", v.value("type", std::string("default")));
  if (type == "default") return s;
  if (type != "linear" && type != "llama3" && type != "yarn")
    r.fail(key, "rope type '" + type + "' is not implemented (implemented: default, linear, llama3, yarn; or raise rope_theta)");
  const std::vector<std::string> allowed =
      type == "linear"   ? std::vector<std::string>{"factor"}
      : type == "llama3" ? std::vector<std::string>{"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}
                         : std::vector<std::string>{"factor", "original_max_position_embeddings", "beta_fast", "beta_slow",
                                                    "attention_factor", "mscale", "mscale_all_dim", "truncate"};
  for (auto& [k, _] : v.items())
    if (k != "rope_type" && k != "type" && k != "rope_theta" && std::find(allowed.begin(), allowed.end(), k) == allowed.end())
      r.fail(key, "'" + k + "' is not part of the " + type + " scaling" + did_you_mean(k, allowed));
  s.type = type;
  s.factor = p.number("factor", 1.0);
  if (type == "yarn") {
    const nlohmann::json* max_positions = r.find("max_position_embeddings");
    const bool has_max = max_positions && max_positions->is_number_integer() && max_positions->get<int64_t>() > 0;
    if (p.find("original_max_position_embeddings") || !has_max) {
      s.original_max_position_embeddings = p.positive("original_max_position_embeddings");
    } else {
      s.original_max_position_embeddings = max_positions->get<int64_t>();
    }
    if (!p.find("factor") && has_max)
      s.factor = static_cast<double>(max_positions->get<int64_t>()) / static_cast<double>(s.original_max_position_embeddings);
    s.beta_fast = p.number("beta_fast", 32.0);
    s.beta_slow = p.number("beta_slow", 1.0);
    s.truncate = p.boolean("truncate", true);
    const double mscale = p.number("mscale", 0), mscale_all_dim = p.number("mscale_all_dim", 0);
    s.attention_factor = p.number("attention_factor", mscale > 0 && mscale_all_dim > 0
                                                          ? yarn_attention_factor(s.factor, mscale) / yarn_attention_factor(s.factor, mscale_all_dim)
                                                          : yarn_attention_factor(s.factor));
  }
  if (type == "llama3") {
    s.low_freq_factor = p.number("low_freq_factor", 1.0);
    s.high_freq_factor = p.number("high_freq_factor", 4.0);
    s.original_max_position_embeddings = p.positive("original_max_position_embeddings");
    if (!(s.high_freq_factor > s.low_freq_factor)) r.fail(key, "high_freq_factor must be above low_freq_factor");
  }
  return s;
}

}  // namespace

double yarn_attention_factor(double factor, double mscale) { return factor <= 1 ? 1.0 : 0.1 * mscale * std::log(factor) + 1.0; }

engine::ModelConfig parse_hf_config(const std::string& json_text, const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(path + ": bad JSON: " + e.what());
  }
  if (!j.is_object()) throw CheckpointError(path + ": not a JSON object");
  const Reader r{j, path};
  const nlohmann::json* type_key = r.find("model_type");
  const std::string model_type = type_key && type_key->is_string() ? type_key->get<std::string>() : "llama";
  auto family = std::find_if(families().begin(), families().end(), [&](const Family& f) { return f.model_type == model_type; });
  if (family == families().end())
    r.fail("model_type", "'" + model_type + "' is not supported (supported: llama, mistral, qwen2, qwen3)");
  std::vector<std::string> known = {
      "architectures", "model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
      "num_key_value_heads", "vocab_size", "rms_norm_eps", "rope_theta", "tie_word_embeddings", "hidden_act",
      "head_dim", "attention_dropout", "rope_scaling", "rope_parameters"};
  known.insert(known.end(), family->keys.begin(), family->keys.end());
  for (auto& [key, _] : j.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end() ||
        std::find(kInformational.begin(), kInformational.end(), key) != kInformational.end())
      continue;
    std::vector<std::string> all = known;
    all.insert(all.end(), kInformational.begin(), kInformational.end());
    r.fail(key, "is not supported for model_type " + model_type + did_you_mean(key, all));
  }
  if (auto* a = r.find("architectures"); a && !a->is_null() && *a != nlohmann::json::array({family->architecture}))
    r.fail("architectures", a->dump() + " is not supported: a " + model_type + " model here is " + family->architecture);
  r.only("hidden_act", "silu", "the engine's MLP is SwiGLU with SiLU");
  r.only("mlp_bias", false, "the engine's MLP projections have no bias");
  r.only("attention_dropout", 0.0, "the engine has no attention dropout");
  r.only("pretraining_tp", 1, "tensor-parallel slicing of the forward is not implemented");
  r.only("use_sliding_window", false, "the engine's attention is full");
  if (auto* types = r.find("layer_types"); types && types->is_array())
    for (auto& t : *types)
      if (t != "full_attention") r.fail("layer_types", t.dump() + " is not supported: the engine's attention is full");

  engine::ModelConfig c;
  c.family = model_type;
  c.vocab_size = r.positive("vocab_size");
  c.d_model = r.positive("hidden_size");
  c.d_ff = r.positive("intermediate_size");
  c.n_layers = r.positive("num_hidden_layers");
  c.n_heads = r.positive("num_attention_heads");
  c.n_kv_heads = r.positive("num_key_value_heads", c.n_heads);
  c.norm_eps = r.number("rms_norm_eps", 1e-6);
  c.rope_theta = r.number("rope_theta", 10000.0);
  if (auto* s = r.find("rope_scaling"); s && !s->is_null()) c.rope_scaling = rope_scaling(r, "rope_scaling", *s);
  if (auto* rope = r.find("rope_parameters"); rope && !rope->is_null()) {
    c.rope_scaling = rope_scaling(r, "rope_parameters", *rope);
    c.rope_theta = Reader{*rope, path, "rope_parameters."}.number("rope_theta", c.rope_theta);
  }
  c.tie_embeddings = r.boolean("tie_word_embeddings", false);
  // Qwen2 has q/k/v biases always; Llama's and Qwen3's attention_bias puts them on o_proj too.
  const bool attention_bias = r.boolean("attention_bias", false);
  c.qkv_bias = model_type == "qwen2" || attention_bias;
  c.o_bias = attention_bias;
  c.qk_norm = model_type == "qwen3";
  const int64_t head_dim = r.positive("head_dim", model_type == "qwen3" ? 128 : 0);
  if (head_dim != 0 && (c.d_model % c.n_heads || head_dim != c.d_model / c.n_heads)) c.head_dim = head_dim;
  // Mistral's window (Qwen's applies only with use_sliding_window, refused above).
  if (model_type == "mistral") c.sliding_window = r.positive("sliding_window", 0);
  if (!c.head_dim && (c.d_model % c.n_heads || (c.d_model / c.n_heads) % 2))
    r.fail("num_attention_heads", std::to_string(c.n_heads) + " does not split hidden_size " + std::to_string(c.d_model) +
                                      " into heads of an even size");
  if (c.head_dim % 2) r.fail("head_dim", std::to_string(c.head_dim) + " is odd: rotary positions need an even head size");
  if (c.n_heads % c.n_kv_heads)
    r.fail("num_key_value_heads", std::to_string(c.n_kv_heads) + " does not divide num_attention_heads " +
                                      std::to_string(c.n_heads));
  return c;
}

std::string hf_config_json(const engine::ModelConfig& c, engine::DType dtype) {
  const char* torch_dtype = dtype == engine::DType::F32 ? "float32" : dtype == engine::DType::F16 ? "float16" : "bfloat16";
  auto family = std::find_if(families().begin(), families().end(), [&](const Family& f) { return f.model_type == c.family; });
  if (family == families().end()) throw CheckpointError("model family '" + c.family + "' has no config.json form");
  nlohmann::json j = {{"architectures", {family->architecture}},
                      {"model_type", c.family},
                      {"hidden_size", c.d_model},
                      {"intermediate_size", c.d_ff},
                      {"num_hidden_layers", c.n_layers},
                      {"num_attention_heads", c.n_heads},
                      {"num_key_value_heads", c.n_kv_heads},
                      {"head_dim", c.head_size()},
                      {"vocab_size", c.vocab_size},
                      {"rms_norm_eps", c.norm_eps},
                      {"rope_theta", c.rope_theta},
                      {"tie_word_embeddings", c.tie_embeddings},
                      {"hidden_act", "silu"},
                      {"rope_scaling", nullptr},
                      {"torch_dtype", torch_dtype}};
  if (c.family == "llama" || c.family == "qwen3") j["attention_bias"] = c.o_bias;
  if (c.family == "mistral") j["sliding_window"] = c.sliding_window ? nlohmann::json(c.sliding_window) : nlohmann::json();
  if (c.family == "qwen2" || c.family == "qwen3") j["use_sliding_window"] = false;
  const engine::RopeScaling& s = c.rope_scaling;
  if (s.type == "linear") j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", s.factor}};
  if (s.type == "yarn")
    j["rope_scaling"] = {{"rope_type", "yarn"},
                         {"factor", s.factor},
                         {"original_max_position_embeddings", s.original_max_position_embeddings},
                         {"beta_fast", s.beta_fast},
                         {"beta_slow", s.beta_slow},
                         {"attention_factor", s.attention_factor},
                         {"truncate", s.truncate}};
  if (s.type == "llama3")
    j["rope_scaling"] = {{"rope_type", "llama3"},
                         {"factor", s.factor},
                         {"low_freq_factor", s.low_freq_factor},
                         {"high_freq_factor", s.high_freq_factor},
                         {"original_max_position_embeddings", s.original_max_position_embeddings}};
  return j.dump(2) + "\n";
}

}  // namespace longalign::host
