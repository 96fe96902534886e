#include "sweep/resolve.h"

#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "cell/engine_config.h"
#include "cell/engine_info.h"
#include "plugin/instance.h"
#include "plugin/params.h"
#include "sweep/config_schema.h"
#include "sweep/starting_model.h"
#include "text/cell_tokenizer.h"
#include "text/model_chat_template.h"
#include "util/build_info.h"
#include "util/nearest.h"
#include "util/sha256.h"

namespace longalign::host {
namespace {

// The config's top-level keys: the schema's first components, and the entry lists.
bool is_section(const std::string& name) {
  if (name == "data" || name == "evaluate") return true;
  for (auto& k : config_schema())
    if (k.name == name || k.name.rfind(name + ".", 0) == 0) return true;
  return false;
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

const nlohmann::json* lookup(const nlohmann::json& j, const std::string& path) {
  const nlohmann::json* node = &j;
  for (auto& p : split(path)) {
    if (!node->is_object() || !node->contains(p)) return nullptr;
    node = &(*node)[p];
  }
  return node;
}

void assign(nlohmann::json& j, const std::string& path, const nlohmann::json& v) {
  nlohmann::json* node = &j;
  auto parts = split(path);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    node = &(*node)[parts[i]];
    if (!node->is_object()) *node = nlohmann::json::object();
  }
  (*node)[parts.back()] = v;
}

// A candidate cell before resolution: config overrides and where each came from.
struct Candidate {
  nlohmann::json overrides = nlohmann::json::object();  // path -> value
  std::map<std::string, std::string> origin;            // path -> key into Sweep::where
};

class Resolver {
 public:
  Resolver(const Sweep& sw, const Registry& reg, ResolvedSweep& resolved)
      : sw_(sw), reg_(reg), resolved_(resolved), sweep_dir_(std::filesystem::absolute(sw.file).parent_path()), starting_models_(sweep_dir_) {
    for (auto& k : config_schema()) schema_paths_.push_back(k.name);
  }

  CellConfig resolve(const Candidate& c) {
    origin_ = &c.origin;
    nlohmann::json cfg = sw_.base;
    for (auto& [path, v] : c.overrides.items()) assign(cfg, path, v);
    check_known_keys(cfg);
    for (auto& k : config_schema()) {
      const nlohmann::json* v = lookup(cfg, k.name);
      if (!v) {
        assign(cfg, k.name, k.default_value);
        continue;
      }
      if (auto e = check_param_value(k, *v); !e.empty()) fail(k.name, e);
      if (k.type == LA_PARAM_FLOAT) assign(cfg, k.name, v->get<double>());
    }
    check_model_shape(cfg["model"]);
    resolve_model_and_tokenizer(cfg);
    // A cell never falls back to the CPU silently: cuda is refused here unless the cell process's engine
    // is built against a CUDA libtorch (asked of the cell binary the cells will run).
    if (cfg["train"]["device"] == "cuda") check_cuda_engine();
    cfg["batching"]["params"] = plugin_params(cfg, "batching", LA_KIND_BATCHING);
    cfg["loss"]["params"] = plugin_params(cfg, "loss", LA_KIND_LOSS_WEIGHTING);
    if (!cfg.contains("data") || !cfg["data"].is_object() || cfg["data"].empty())
      fail("data", "no [[data]] entries: a cell needs at least one data source");
    for (auto& [name, entry] : cfg["data"].items()) entry = data_entry(name, entry);
    if (cfg.contains("evaluate")) {
      if (!cfg["evaluate"].is_object()) fail("evaluate", "expected [[evaluate]] entries");
      for (auto& [name, entry] : cfg["evaluate"].items()) entry = evaluate_entry(name, entry);
    }
    for (auto& name : cfg["eval"]["during"]) {
      if (!name.is_string() || !cfg.contains("evaluate") || !cfg["evaluate"].contains(name.get<std::string>()))
        fail("eval.during", "no [[evaluate]] entry named " + name.dump() + evaluation_names(cfg));
    }
    return CellConfig::from_json(cfg);
  }

  [[noreturn]] void fail(const std::string& path, const std::string& message) const {
    std::string p = path;
    while (true) {
      if (origin_)
        if (auto it = origin_->find(p); it != origin_->end()) throw InputError(sw_.locate(it->second), path, message);
      auto dot = p.rfind('.');
      if (dot == std::string::npos) break;
      p.resize(dot);
    }
    throw InputError(sw_.locate(path), path, message);
  }

  // The cell's identity as the sweep file says it, so a clone elsewhere (or the CI's) finds the
  // same cell ids: relative paths as written rather than resolved, and a starting model by its
  // content (init_sha256) rather than where it lies.
  nlohmann::json identity(const CellConfig& cell) const {
    nlohmann::json config = cell.to_json();
    config.erase("evaluate");  // evaluations never change what a cell trains
    std::function<void(nlohmann::json&)> portable = [&](nlohmann::json& v) {
      if (v.is_string()) {
        if (auto it = written_.find(v.get<std::string>()); it != written_.end()) v = it->second;
      } else if (v.is_array() || v.is_object()) {
        for (auto& item : v) portable(item);
      }
    };
    portable(config);
    if (config["model"].contains("init_sha256")) config["model"].erase("init_from");
    if (config.contains("tokenizer_id")) config.erase("tokenizer");
    // Checkpointing does not change what a cell trains, nor does the way the LLM is reached
    // (what it made is hashed into the cell's data record): both stay out of the id.
    config.erase("checkpoint");
    config.erase("llm");
    // Keys that came after the committed cells' ids stay out of them while unset: evaluating
    // during training, and a shape other than the preset's.
    if (config["eval"]["every_steps"] == 0) config["eval"].erase("every_steps"), config["eval"].erase("during");
    for (auto& key : model_shape_keys())
      if (config["model"][key] == 0) config["model"].erase(key);
    return config;
  }

 private:
  void check_known_keys(const nlohmann::json& cfg) const {
    if (!cfg.is_object()) fail("", "[config] must be a table");
    for (auto& [section, v] : cfg.items()) {
      if (!is_section(section))
        fail(section, "unknown key" + did_you_mean(section, schema_paths_));
      if (section == "data" || section == "evaluate") continue;
      // Walk down to schema leaves; a table-typed leaf (params) is the plugin's business.
      std::function<void(const nlohmann::json&, const std::string&)> walk = [&](const nlohmann::json& n, const std::string& path) {
        for (auto& k : config_schema())
          if (k.name == path) return;
        if (!n.is_object()) fail(path, "unknown key" + did_you_mean(path, schema_paths_));
        for (auto& [key, child] : n.items()) walk(child, path + "." + key);
      };
      walk(v, section);
    }
  }

  void check_cuda_engine() const {
    bool built = false;
    try {
      built = engine_info(sibling_binary("longalign-cell")).cuda_built;
    } catch (const std::runtime_error& e) {
      fail("train.device", e.what());
    }
    if (!built)
      fail("train.device",
           "this longalign's engine is built against a CPU-only libtorch (Debian's): use device = \"cpu\", or build "
           "against a CUDA libtorch (README, \"Scaling out\")");
  }

  // The shape keys build a model from scratch; a model.init_from brings its own shape.
  void check_model_shape(const nlohmann::json& model_json) const {
    const ModelSection model = ModelSection::from_json(model_json);
    for (auto& key : model_shape_keys())
      if (model_shape_key(model, key) != 0 && !model.init_from.empty())
        fail("model." + key, "sets the shape of a model trained from scratch; model.init_from's config.json gives the shape here");
    try {
      model_shape(model);
    } catch (const ShapeError& e) {
      fail(e.key, e.what());
    }
    const bool scaled = model.rope_scaling == "linear" || model.rope_scaling == "yarn";
    if (scaled && model.rope_factor <= 0) fail("model.rope_factor", model.rope_scaling + " scaling needs the factor the context grows by");
    if (!scaled && model.rope_factor != 0) fail("model.rope_factor", "applies only with model.rope_scaling = \"linear\" or \"yarn\"");
    if (model.rope_scaling == "yarn" && model.rope_original_context <= 0)
      fail("model.rope_original_context", "yarn scaling needs the context the starting model was trained at (its train.max_tokens, say)");
    if (model.rope_scaling != "yarn" && model.rope_original_context != 0)
      fail("model.rope_original_context", "applies only with model.rope_scaling = \"yarn\"");
  }

  static std::string evaluation_names(const nlohmann::json& cfg) {
    std::string names;
    const nlohmann::json entries = cfg.value("evaluate", nlohmann::json::object());
    for (auto& [name, entry] : entries.items()) names += (names.empty() ? "" : ", ") + name;
    return names.empty() ? " (the sweep has none)" : " (there are: " + names + ")";
  }

  // model.init_from, found and pinned by content (sweep/starting_model.h), and the tokenizer:
  // "auto" is init_from's tokenizer.json where it has one, else bytes; a directory is pinned by
  // content too (tokenizer_id, which covers its chat template). The starting model's vocabulary
  // must hold the tokenizer's ids; chat_template "auto" becomes "llama2" where the tokenizer has
  // no template of its own, and the llama2 and plain templates need its BOS and EOS.
  void resolve_model_and_tokenizer(nlohmann::json& cfg) {
    const std::string given = cfg["model"]["init_from"];
    std::string tokenizer = cfg["tokenizer"];
    const StartingModel* start = nullptr;
    if (!given.empty()) {
      try {
        start = &starting_models_.find(given, tokenizer == "byte" ? VocabularyNeed{259, "the byte tokenizer's 259 ids"} : VocabularyNeed{});
      } catch (const StartingModelError& e) {
        fail("model.init_from", e.what());
      }
      if (start->sliding_window && cfg["train"]["max_tokens"].get<int64_t>() > start->sliding_window)
        fail("train.max_tokens", std::to_string(cfg["train"]["max_tokens"].get<int64_t>()) + " is longer than model.init_from's sliding_window (" +
                                     std::to_string(start->sliding_window) + " in its config.json): the engine's attention is full, so rows may not be longer");
      cfg["model"]["init_from"] = start->dir.string();
      cfg["model"]["init_sha256"] = start->sha256;
    }
    if (tokenizer == "auto") {
      if (start && !std::filesystem::exists(start->dir / "tokenizer.json") && std::filesystem::exists(start->dir / "tokenizer.model"))
        fail("tokenizer", "model.init_from's tokenizer is a sentencepiece tokenizer.model, which cells do not read (sentencepiece cannot "
                          "share their process with libtorch): give the directory a tokenizer.json (transformers' "
                          "AutoTokenizer.from_pretrained(DIR).save_pretrained(DIR) writes one), or set tokenizer = \"byte\"");
      tokenizer = start && std::filesystem::exists(start->dir / "tokenizer.json") ? start->dir.string() : "byte";
    } else if (tokenizer != "byte" && tokenizer[0] != '/') {
      tokenizer = (sweep_dir_ / tokenizer).lexically_normal().string();
    }
    std::shared_ptr<const Tokenizer> tok;
    try {
      tok = cell_tokenizer(tokenizer);
    } catch (const std::invalid_argument& e) {
      fail("tokenizer", e.what());
    }
    if (start && tok->vocab_size() > start->vocab_size)
      fail("tokenizer", tokenizer + " has " + std::to_string(tok->vocab_size()) + " tokens, more than model.init_from's vocabulary of " +
                            std::to_string(start->vocab_size));
    const std::string chat_template = chosen_chat_template(cfg["chat_template"], tokenizer);
    if (chat_template == "auto") {
      try {
        ModelChatTemplate check(tokenizer);
        tok->eos();
      } catch (const std::invalid_argument& e) {
        fail("chat_template", std::string("the model's own template (auto): ") + e.what());
      } catch (const std::logic_error& e) {
        fail("tokenizer", std::string("plain-text examples end with EOS: ") + e.what());
      }
    } else {
      try {
        tok->bos(), tok->eos();
      } catch (const std::logic_error& e) {
        fail("chat_template", "the " + chat_template + " template begins and ends turns with BOS and EOS: " + e.what() +
                                  (tokenizer != "byte" && model_chat_template_file(tokenizer) ? "; chat_template = \"auto\" uses the model's own" : ""));
      }
    }
    cfg["chat_template"] = chat_template;
    cfg["tokenizer"] = tokenizer;
    if (tokenizer != "byte") cfg["tokenizer_id"] = tok->id();
  }

  const PluginEntry& plugin(const std::string& path, const std::string& name, la_plugin_kind kind) {
    const PluginEntry* p = reg_.find(name);
    if (!p)
      fail(path, "unknown plugin '" + name + "'" + did_you_mean(name, reg_.names(kind)) +
                     "; `longalign plugins` lists the " + kind_name(kind) + " plugins found");
    if (p->info.kind != kind)
      fail(path, "plugin '" + name + "' is a " + kind_name(p->info.kind) + ", not a " + kind_name(kind));
    resolved_.plugins[name] = {{"file", p->file.string()}, {"sha256", p->hash}, {"version", p->info.version}};
    return *p;
  }

  nlohmann::json params(const PluginEntry& p, const std::string& path, const nlohmann::json& given) {
    nlohmann::json out;
    try {
      out = resolve_params(p.info, given.is_null() ? nlohmann::json::object() : given);
    } catch (const ParamError& e) {
      fail(e.key().empty() ? path : path + "." + e.key(), e.what());
    }
    // Parameters that name files: relative ones from the sweep file's directory.
    std::function<void(nlohmann::json&)> absolute = [&](nlohmann::json& v) {
      if (v.is_string()) {
        const std::string s = v;
        if (!s.empty() && s[0] != '/' && s[0] != '~') {
          v = (sweep_dir_ / s).lexically_normal().string();
          written_[v.get<std::string>()] = s;
        }
      } else if (v.is_array() || v.is_object()) {
        for (auto& item : v) absolute(item);
      }
    };
    for (auto& info : p.info.params)
      if (info.path && out.contains(info.name)) absolute(out[info.name]);
    return out;
  }

  nlohmann::json plugin_params(const nlohmann::json& cfg, const std::string& section, la_plugin_kind kind) {
    const PluginEntry& p = plugin(section + ".plugin", cfg[section]["plugin"], kind);
    return params(p, section + ".params", cfg[section]["params"]);
  }

  void check_entry_keys(const nlohmann::json& entry, const std::string& at, const std::vector<ParamInfo>& schema) const {
    if (!entry.is_object()) fail(at, "expected a table");
    std::vector<std::string> names;
    for (auto& k : schema) names.push_back(k.name);
    for (auto& item : entry.items()) {
      const std::string key = item.key();
      const nlohmann::json& v = item.value();
      auto it = std::find_if(schema.begin(), schema.end(), [&](const ParamInfo& k) { return k.name == key; });
      if (it == schema.end()) fail(at + "." + key, "unknown key" + did_you_mean(key, names));
      if (auto e = check_param_value(*it, v); !e.empty()) fail(at + "." + key, e);
    }
  }

  // at: where the entry sits, for errors ("data.NAME", or "evaluate.NAME.data").
  nlohmann::json data_entry(const std::string& name, const nlohmann::json& entry, std::string at = "") {
    if (at.empty()) at = "data." + name;
    check_entry_keys(entry, at, data_entry_schema());
    if (!entry.contains("source")) fail(at, "missing 'source' (the data-source plugin)");
    const PluginEntry& p = plugin(at + ".source", entry["source"], LA_KIND_DATA_SOURCE);
    nlohmann::json out = {{"source", entry["source"]}, {"params", params(p, at + ".params", entry.value("params", nlohmann::json()))}};
    if (entry.contains("count") && entry.contains("ratio")) fail(at, "give count or ratio, not both");
    if (entry.contains("count") || entry.contains("ratio")) {
      std::optional<int64_t> available = source_count(p, out["params"]);
      if (entry.contains("count")) {
        int64_t want = entry["count"];
        if (available && want > *available)
          fail(at + ".count", "asks for " + std::to_string(want) + " examples; source '" + p.info.name + "' has " +
                                  std::to_string(*available) + " with these params");
        out["count"] = want;
      } else {
        double ratio = entry["ratio"];
        if (!available) fail(at + ".ratio", "source '" + p.info.name + "' cannot tell its size before reading: use count");
        out["ratio"] = ratio;
        out["count"] = static_cast<int64_t>(ratio * static_cast<double>(*available));
      }
    }
    for (const char* k : {"min_tokens", "max_tokens", "over_length", "targets"})
      if (entry.contains(k)) out[k] = entry[k];
    if (out.contains("min_tokens") && out.contains("max_tokens") && out["min_tokens"] > out["max_tokens"])
      fail(at + ".min_tokens", "is above max_tokens");
    if (out.contains("over_length") && !out.contains("max_tokens")) fail(at + ".over_length", "applies only with max_tokens");
    return out;
  }

  nlohmann::json evaluate_entry(const std::string& name, const nlohmann::json& entry) {
    const std::string at = "evaluate." + name;
    check_entry_keys(entry, at, evaluate_entry_schema());
    const PluginEntry& p = plugin(at + ".evaluator", entry["evaluator"], LA_KIND_EVALUATOR);
    nlohmann::json out = {{"evaluator", entry["evaluator"]}, {"params", params(p, at + ".params", entry.value("params", nlohmann::json()))}};
    if (entry.contains("data")) out["data"] = data_entry(name, entry["data"], at + ".data");
    return out;
  }

  // How many examples a source holds with these params (opened once per distinct params).
  std::optional<int64_t> source_count(const PluginEntry& p, const nlohmann::json& params) {
    std::string key = p.info.name + canonical(params);
    if (auto it = counts_.find(key); it != counts_.end()) return it->second;
    std::optional<int64_t> n;
    try {
      DataSourceInstance src(PluginLibrary::load(p.file), params);
      src.open(0);
      n = src.count();
    } catch (const std::exception& e) {
      fail("data", std::string("cannot open data source: ") + e.what());
    }
    counts_[key] = n;
    return n;
  }

  const Sweep& sw_;
  const Registry& reg_;
  ResolvedSweep& resolved_;
  const std::filesystem::path sweep_dir_;  // relative paths in the sweep are from here
  StartingModels starting_models_;
  std::map<std::string, std::string> written_;      // a resolved path -> the relative one the sweep wrote
  std::vector<std::string> schema_paths_;
  const std::map<std::string, std::string>* origin_ = nullptr;
  std::map<std::string, std::optional<int64_t>> counts_;
};

// The value a path has in a cell: its override, else the base config, else the schema default.
nlohmann::json value_at(const Sweep& sw, const Candidate& c, const std::string& path) {
  if (c.overrides.contains(path)) return c.overrides[path];
  // Inside a table the cell overrides whole (a grid of tables, e.g. a source's sources).
  for (auto& [p, v] : c.overrides.items())
    if (path.rfind(p + ".", 0) == 0) {
      const nlohmann::json* inner = lookup(v, path.substr(p.size() + 1));
      return inner ? *inner : nlohmann::json();
    }
  if (auto* v = lookup(sw.base, path)) return *v;
  for (auto& k : config_schema())
    if (k.name == path) return k.default_value;
  return nullptr;
}

}  // namespace

std::string canonical(const nlohmann::json& j) { return j.dump(); }

std::string content_id(const nlohmann::json& j) { return sha256_hex(canonical(j)).substr(0, 16); }

CellSpec cell_spec(const std::string& sweep, const Cell& cell, const nlohmann::json& plugins, int threads) {
  CellSpec spec{sweep, cell.id, cell.seed, cell.config, cell.grid, nlohmann::json::object(), cell.eval_ids, threads};
  for (auto& name : plugins_used(cell.config)) spec.plugins[name] = plugins.at(name);
  return spec;
}

ResolvedSweep resolve_sweep(const Sweep& sw, const Registry& registry) {
  ResolvedSweep resolved;
  resolved.sweep = sw;
  double product = static_cast<double>(sw.seeds.size());
  for (auto& [path, values] : sw.grid) product *= static_cast<double>(values.size());
  if (product > kMaxCells)
    throw InputError(sw.locate("grid." + (sw.grid.empty() ? std::string() : sw.grid.back().first)), "grid",
                     "the grid and seeds make " + format_number(product) +
                         " cells, over the limit of " + std::to_string(kMaxCells) + ": split the sweep");
  std::vector<Candidate> combos(1);
  for (auto& [path, values] : sw.grid) {
    std::vector<Candidate> next;
    for (auto& c : combos)
      for (size_t i = 0; i < values.size(); ++i) {
        Candidate n = c;
        n.overrides[path] = values[i];
        n.origin[path] = "grid." + path + "." + std::to_string(i);
        next.push_back(std::move(n));
      }
    combos = std::move(next);
  }
  std::vector<Candidate> kept;
  std::vector<size_t> exclude_hits(sw.excludes.size(), 0);
  for (auto& c : combos) {
    bool excluded = false;
    for (size_t e = 0; e < sw.excludes.size(); ++e) {
      bool all = true;
      for (auto& [path, v] : sw.excludes[e]) all = all && value_at(sw, c, path) == v;
      if (all) ++exclude_hits[e], excluded = true;
    }
    if (!excluded) kept.push_back(std::move(c));
  }
  for (size_t e = 0; e < sw.excludes.size(); ++e)
    if (exclude_hits[e] == 0)
      throw InputError(sw.locate("exclude." + std::to_string(e) + "." + sw.excludes[e].begin()->first), "exclude",
                       "this [[exclude]] matches no cell of the grid");
  for (size_t i = 0; i < sw.includes.size(); ++i) {
    Candidate c;
    for (auto& [path, v] : sw.includes[i]) {
      c.overrides[path] = v;
      c.origin[path] = "include." + std::to_string(i) + "." + path;
    }
    kept.push_back(std::move(c));
  }

  Resolver resolver(sw, registry, resolved);
  std::set<std::string> seen;
  for (auto& c : kept) {
    const CellConfig config = resolver.resolve(c);
    const nlohmann::json identity = resolver.identity(config);
    for (uint64_t seed : sw.seeds) {
      Cell cell;
      cell.seed = seed;
      cell.id = content_id({{"config", identity}, {"seed", seed}});
      if (!seen.insert(cell.id).second) continue;  // an include may repeat a grid cell
      cell.grid = c.overrides;
      cell.config = config;
      for (auto& [name, e] : config.evaluate) cell.eval_ids[name] = content_id({{"cell", cell.id}, {"evaluate", e.to_json()}});
      resolved.cells.push_back(std::move(cell));
    }
  }
  return resolved;
}

}  // namespace longalign::host
