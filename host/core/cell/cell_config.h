// A cell's configuration, typed. resolve_sweep makes it from a sweep (sweep/resolve.h: defaults
// filled from the schema, plugin parameters resolved against their plugins' schemas, relative
// paths made absolute) and everything after that reads these fields, never keys by name.
// Its JSON form is what spec.json carries to the cell process, what the results file keeps as a run's
// params, and what the cell id hashes: from_json(to_json()) gives the same config, and to_json
// writes exactly the JSON the resolver checked, so cell ids do not depend on this type.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "llm/llm_client.h"  // LlmSection
#include "plugin/params.h"  // ResolvedParams

namespace longalign::host {

struct PluginChoice {
  std::string plugin;
  ResolvedParams params;
};

// A [[data]] entry (or an [[evaluate]] entry's data). The optional keys are absent unless the
// sweep gave them, as in the JSON the cell id hashes.
struct DataEntry {
  std::string source;
  ResolvedParams params;
  std::optional<int64_t> count;   // exactly this many examples (also when the sweep gave a ratio)
  std::optional<double> ratio;    // the share of the source the sweep asked for, when it did
  std::optional<int64_t> min_tokens, max_tokens;
  std::optional<std::string> over_length;  // "drop" (absent) or "truncate"
  std::optional<std::string> targets;      // "assistant" (absent) or "all"

  bool truncates() const { return over_length == "truncate"; }
  bool trains_on_all_tokens() const { return targets == "all"; }
  nlohmann::json to_json() const;
  static DataEntry from_json(const nlohmann::json& j, const std::string& at);
};

struct EvaluateEntry {
  std::string evaluator;
  ResolvedParams params;
  std::optional<DataEntry> data;

  nlohmann::json to_json() const;  // what the evaluation id hashes, with the cell id
};

struct ModelSection {
  std::string preset;
  int64_t d_model = 0, layers = 0, heads = 0, kv_heads = 0, d_ff = 0;  // 0: the preset's
  double rope_theta = 0;                                               // 0: the preset's or init_from's
  std::string rope_scaling = "keep";  // or "none", "linear", "yarn" (with rope_factor and rope_original_context)
  double rope_factor = 0;
  int64_t rope_original_context = 0;
  std::string init_from;    // a model directory (resolved), or empty: train from the preset
  std::string init_sha256;  // the hash of init_from's files, when it is set

  nlohmann::json to_json() const;
  static ModelSection from_json(const nlohmann::json& j);  // throws as CellConfig::from_json
};

struct TrainSection {
  int64_t epochs = 0, max_tokens = 0, rows_per_micro_batch = 0, sequences_per_step = 0, tokens_per_step = 0;
  double lr = 0, warmup_ratio = 0, min_lr_ratio = 0, weight_decay = 0, beta1 = 0, beta2 = 0, grad_clip = 0;
  std::string schedule, precision, device, positions;
  bool gradient_checkpointing = false;
  int64_t world_size = 1;
};

struct EvalSection {
  int64_t heldout = 0, every_steps = 0;
  std::vector<std::string> during;  // empty: every [[evaluate]] entry
};

struct CheckpointSection {
  bool save = true;
  int64_t every = 0, keep = 1;
};

struct CellConfig {
  std::string tokenizer, chat_template;  // tokenizer: "byte" or a directory with a tokenizer.json
  std::string tokenizer_id;             // that directory's tokenizer, by content, when it is one
  ModelSection model;
  TrainSection train;
  EvalSection eval;
  CheckpointSection checkpoint;
  LlmSection llm;
  PluginChoice batching, loss;
  std::map<std::string, DataEntry> data;          // by entry name, in name order (as JSON keeps it)
  std::map<std::string, EvaluateEntry> evaluate;  // kept out of the cell id (sweep/resolve.cpp)

  nlohmann::json to_json() const;
  // Throws std::runtime_error naming the key that is missing or of the wrong type.
  static CellConfig from_json(const nlohmann::json& j);
};

// The plugins a config names: batching, loss weighting, data sources, evaluators and their data
// sources.
std::vector<std::string> plugins_used(const CellConfig& config);

}  // namespace longalign::host
