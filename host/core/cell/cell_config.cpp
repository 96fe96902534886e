#include "cell/cell_config.h"

#include <stdexcept>
#include <type_traits>

namespace longalign::host {
namespace {

using nlohmann::json;

// Reads one table of a config's JSON form, naming the key (from the config's root) that is
// missing or of the wrong type.
class Table {
 public:
  Table(const json& j, std::string at) : j_(j), at_(std::move(at)) {
    if (!j_.is_object()) throw std::runtime_error("cell config: " + name("") + " is not a table");
  }

  template <class T>
  T get(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end()) throw std::runtime_error("cell config: no " + name(key));
    return as<T>(*it, key);
  }

  template <class T>
  std::optional<T> optional(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end()) return std::nullopt;
    return as<T>(*it, key);
  }

  Table table(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end()) throw std::runtime_error("cell config: no " + name(key));
    return Table(*it, name(key));
  }

  const json& raw() const { return j_; }
  std::string name(const std::string& key) const { return at_.empty() ? key : key.empty() ? at_ : at_ + "." + key; }

 private:
  template <class T>
  T as(const json& v, const char* key) const {
    try {
      if constexpr (std::is_same_v<T, double>) {
        if (!v.is_number()) throw std::runtime_error("expected a number");
      } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (!v.is_number_integer()) throw std::runtime_error("expected an integer");
      }
      return v.get<T>();
    } catch (const std::exception& e) {
      throw std::runtime_error("cell config: " + name(key) + ": " + e.what());
    }
  }

  const json& j_;
  std::string at_;
};

ResolvedParams params_of(const Table& t) {
  const json& p = t.raw().contains("params") ? t.raw()["params"] : json();
  if (!p.is_object()) throw std::runtime_error("cell config: " + t.name("params") + " is not a table");
  return {p};
}

PluginChoice plugin_choice(const Table& t) { return {t.get<std::string>("plugin"), params_of(t)}; }

json plugin_choice_json(const PluginChoice& c) { return {{"plugin", c.plugin}, {"params", c.params.value}}; }

}  // namespace

json DataEntry::to_json() const {
  json j = {{"source", source}, {"params", params.value}};
  if (count) j["count"] = *count;
  if (ratio) j["ratio"] = *ratio;
  if (min_tokens) j["min_tokens"] = *min_tokens;
  if (max_tokens) j["max_tokens"] = *max_tokens;
  if (over_length) j["over_length"] = *over_length;
  if (targets) j["targets"] = *targets;
  return j;
}

DataEntry DataEntry::from_json(const json& j, const std::string& at) {
  Table t(j, at);
  DataEntry e;
  e.source = t.get<std::string>("source");
  e.params = params_of(t);
  e.count = t.optional<int64_t>("count");
  e.ratio = t.optional<double>("ratio");
  e.min_tokens = t.optional<int64_t>("min_tokens");
  e.max_tokens = t.optional<int64_t>("max_tokens");
  e.over_length = t.optional<std::string>("over_length");
  e.targets = t.optional<std::string>("targets");
  return e;
}

json ModelSection::to_json() const {
  json j = {{"preset", preset},   {"d_model", d_model},       {"layers", layers},       {"heads", heads},
            {"kv_heads", kv_heads}, {"d_ff", d_ff}, {"rope_theta", rope_theta}, {"init_from", init_from}};
  if (!init_sha256.empty()) j["init_sha256"] = init_sha256;
  // Later keys, in a cell's JSON (and so its id) only where set, so earlier cells keep their ids.
  if (rope_scaling != "keep") j["rope_scaling"] = rope_scaling;
  if (rope_factor != 0) j["rope_factor"] = rope_factor;
  if (rope_original_context != 0) j["rope_original_context"] = rope_original_context;
  return j;
}

ModelSection ModelSection::from_json(const json& j) {
  Table m(j, "model");
  ModelSection s;
  s.preset = m.get<std::string>("preset");
  s.d_model = m.get<int64_t>("d_model");
  s.layers = m.get<int64_t>("layers");
  s.heads = m.get<int64_t>("heads");
  s.kv_heads = m.get<int64_t>("kv_heads");
  s.d_ff = m.get<int64_t>("d_ff");
  s.rope_theta = m.get<double>("rope_theta");
  s.init_from = m.get<std::string>("init_from");
  s.init_sha256 = m.optional<std::string>("init_sha256").value_or("");
  s.rope_scaling = m.optional<std::string>("rope_scaling").value_or("keep");
  s.rope_factor = m.optional<double>("rope_factor").value_or(0);
  s.rope_original_context = m.optional<int64_t>("rope_original_context").value_or(0);
  return s;
}

json EvaluateEntry::to_json() const {
  json j = {{"evaluator", evaluator}, {"params", params.value}};
  if (data) j["data"] = data->to_json();
  return j;
}

json CellConfig::to_json() const {
  json j;
  j["tokenizer"] = tokenizer;
  if (!tokenizer_id.empty()) j["tokenizer_id"] = tokenizer_id;
  j["chat_template"] = chat_template;
  j["model"] = model.to_json();
  const TrainSection& t = train;
  j["train"] = {{"epochs", t.epochs},
                {"max_tokens", t.max_tokens},
                {"rows_per_micro_batch", t.rows_per_micro_batch},
                {"sequences_per_step", t.sequences_per_step},
                {"tokens_per_step", t.tokens_per_step},
                {"lr", t.lr},
                {"warmup_ratio", t.warmup_ratio},
                {"schedule", t.schedule},
                {"min_lr_ratio", t.min_lr_ratio},
                {"weight_decay", t.weight_decay},
                {"beta1", t.beta1},
                {"beta2", t.beta2},
                {"grad_clip", t.grad_clip},
                {"precision", t.precision},
                {"gradient_checkpointing", t.gradient_checkpointing},
                {"device", t.device},
                {"world_size", t.world_size},
                {"positions", t.positions}};
  j["eval"] = {{"heldout", eval.heldout}, {"every_steps", eval.every_steps}, {"during", eval.during}};
  j["checkpoint"] = {{"save", checkpoint.save}, {"every", checkpoint.every}, {"keep", checkpoint.keep}};
  j["llm"] = {{"url", llm.url},
              {"model", llm.model},
              {"api_key_env", llm.api_key_env},
              {"timeout_s", llm.timeout_s},
              {"max_retries", llm.max_retries},
              {"requests_per_second", llm.requests_per_second},
              {"cache", llm.cache}};
  j["batching"] = plugin_choice_json(batching);
  j["loss"] = plugin_choice_json(loss);
  j["data"] = json::object();
  for (auto& [name, entry] : data) j["data"][name] = entry.to_json();
  j["evaluate"] = json::object();
  for (auto& [name, entry] : evaluate) j["evaluate"][name] = entry.to_json();
  return j;
}

CellConfig CellConfig::from_json(const json& j) {
  Table root(j, "");
  CellConfig c;
  c.tokenizer = root.get<std::string>("tokenizer");
  c.tokenizer_id = root.optional<std::string>("tokenizer_id").value_or("");
  c.chat_template = root.get<std::string>("chat_template");

  c.model = ModelSection::from_json(root.table("model").raw());

  Table t = root.table("train");
  TrainSection& tr = c.train;
  tr.epochs = t.get<int64_t>("epochs");
  tr.max_tokens = t.get<int64_t>("max_tokens");
  tr.rows_per_micro_batch = t.get<int64_t>("rows_per_micro_batch");
  tr.sequences_per_step = t.get<int64_t>("sequences_per_step");
  tr.tokens_per_step = t.get<int64_t>("tokens_per_step");
  tr.lr = t.get<double>("lr");
  tr.warmup_ratio = t.get<double>("warmup_ratio");
  tr.schedule = t.get<std::string>("schedule");
  tr.min_lr_ratio = t.get<double>("min_lr_ratio");
  tr.weight_decay = t.get<double>("weight_decay");
  tr.beta1 = t.get<double>("beta1");
  tr.beta2 = t.get<double>("beta2");
  tr.grad_clip = t.get<double>("grad_clip");
  tr.precision = t.get<std::string>("precision");
  tr.gradient_checkpointing = t.get<bool>("gradient_checkpointing");
  tr.device = t.get<std::string>("device");
  tr.world_size = t.get<int64_t>("world_size");
  tr.positions = t.get<std::string>("positions");

  Table e = root.table("eval");
  c.eval.heldout = e.get<int64_t>("heldout");
  c.eval.every_steps = e.get<int64_t>("every_steps");
  c.eval.during = e.get<std::vector<std::string>>("during");

  Table k = root.table("checkpoint");
  c.checkpoint.save = k.get<bool>("save");
  c.checkpoint.every = k.get<int64_t>("every");
  c.checkpoint.keep = k.get<int64_t>("keep");

  Table l = root.table("llm");
  c.llm.url = l.get<std::string>("url");
  c.llm.model = l.get<std::string>("model");
  c.llm.api_key_env = l.get<std::string>("api_key_env");
  c.llm.timeout_s = l.get<double>("timeout_s");
  c.llm.max_retries = l.get<int64_t>("max_retries");
  c.llm.requests_per_second = l.get<double>("requests_per_second");
  c.llm.cache = l.get<bool>("cache");

  c.batching = plugin_choice(root.table("batching"));
  c.loss = plugin_choice(root.table("loss"));
  for (auto& [name, entry] : root.table("data").raw().items()) c.data.emplace(name, DataEntry::from_json(entry, "data." + name));
  if (j.contains("evaluate"))
    for (auto& [name, entry] : j["evaluate"].items()) {
      Table t(entry, "evaluate." + name);
      EvaluateEntry ev{t.get<std::string>("evaluator"), params_of(t), std::nullopt};
      if (entry.contains("data")) ev.data = DataEntry::from_json(entry["data"], "evaluate." + name + ".data");
      c.evaluate.emplace(name, std::move(ev));
    }
  return c;
}

std::vector<std::string> plugins_used(const CellConfig& c) {
  std::vector<std::string> names = {c.batching.plugin, c.loss.plugin};
  for (auto& [_, d] : c.data) names.push_back(d.source);
  for (auto& [_, e] : c.evaluate) {
    names.push_back(e.evaluator);
    if (e.data) names.push_back(e.data->source);
  }
  return names;
}

}  // namespace longalign::host
