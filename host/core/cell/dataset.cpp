#include "cell/dataset.h"

#include <algorithm>
#include <filesystem>

#include "cell/cell_spec.h"
#include "cell/token_cache.h"
#include "plugin/instance.h"
#include "text/cell_tokenizer.h"
#include "util/build_info.h"
#include "util/sha256.h"

namespace longalign::host {
namespace {

// Moves a cut position back to the start of a UTF-8 sequence.
size_t char_start(const std::string& s, size_t at) {
  while (at > 0 && at < s.size() && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) --at;
  return at;
}

// What the example is, for the entry's hash: every field, length-prefixed.
void hash_example(Sha256& h, const Example& e) {
  auto put = [&](const std::string& s) {
    h.update(std::to_string(s.size()) + ":");
    h.update(s);
  };
  for (auto& m : e.messages) put(m.role), put(m.content);
  put(e.text), put(e.source), put(e.task), put(e.metadata_json);
}

// The source's provenance, with each listed file's size and hash.
nlohmann::json provenance_with_hashes(DataSourceInstance& src) {
  nlohmann::json p = src.provenance();
  if (!p.contains("files") || !p["files"].is_array()) return p;
  nlohmann::json files = nlohmann::json::array();
  for (auto& f : p["files"]) {
    if (!f.is_string()) continue;
    std::error_code ec;
    auto bytes = std::filesystem::file_size(f.get<std::string>(), ec);
    files.push_back({{"path", f}, {"bytes", ec ? -1 : static_cast<int64_t>(bytes)}, {"sha256", sha256_file(f.get<std::string>())}});
  }
  p["files"] = files;
  return p;
}

}  // namespace

std::optional<Tokenized> render_within(Example e, const ChatTemplate& tmpl, const Tokenizer& tok, size_t max_tokens) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    Tokenized t = tmpl.render(e, tok);
    if (t.ids.size() <= max_tokens) return t;
    const size_t excess = t.ids.size() - max_tokens;
    std::string* cut = e.messages.empty() ? &e.text : nullptr;
    for (auto& m : e.messages)
      if (m.role == "user" && (!cut || m.content.size() > cut->size())) cut = &m.content;
    if (!cut || cut->empty()) return std::nullopt;
    // Bytes per token of this text, so a multi-byte tokenizer converges in a step or two.
    const size_t bytes = std::min(cut->size(), std::max<size_t>(excess, excess * cut->size() / std::max<size_t>(1, t.ids.size())));
    if (e.messages.empty()) {
      cut->resize(char_start(*cut, cut->size() - bytes));
    } else {
      const size_t from = char_start(*cut, (cut->size() - bytes) / 2), to = char_start(*cut, from + bytes);
      cut->erase(from, std::max(to, from + 1) - from);
      if (!cut->empty()) cut->erase(0, char_start(*cut, 0));
    }
  }
  return std::nullopt;
}

namespace {

// Streams an entry's examples through the template and the length filter into the cache
// writer; returns the cache meta: the entry's record and the input files' stamps.
nlohmann::json build_entry(const std::string& name, const DataEntry& entry, const nlohmann::json& plugins,
                           uint64_t seed, const ChatTemplate& tmpl, const Tokenizer& tok, const la_llm_client* llm,
                           TokenCacheWriter& out) {
  const std::string& source = entry.source;
  DataSourceInstance src(load_plugin(plugins, source), entry.params, llm);
  src.open(seed);
  const int64_t want = entry.count.value_or(-1);
  const size_t min_tokens = static_cast<size_t>(entry.min_tokens.value_or(0));
  const size_t max_tokens = entry.max_tokens ? static_cast<size_t>(*entry.max_tokens) : SIZE_MAX;
  const bool truncate = entry.truncates(), all_targets = entry.trains_on_all_tokens();
  Example e;
  int64_t read = 0, examples = 0, tokens = 0, targets = 0, dropped_short = 0, dropped_long = 0, truncated = 0;
  nlohmann::json by_task = nlohmann::json::object(), by_source = nlohmann::json::object();
  Sha256 hash;
  while ((want < 0 || examples < want) && src.next(e)) {
    ++read;
    std::optional<Tokenized> t;
    try {
      t = tmpl.render(e, tok);
      if (t->ids.size() > max_tokens) {
        t = truncate ? render_within(e, tmpl, tok, max_tokens) : std::nullopt;
        ++(t ? truncated : dropped_long);
      }
    } catch (const std::invalid_argument& err) {
      throw std::runtime_error("data '" + name + "' example " + std::to_string(read - 1) + ": " + err.what());
    }
    if (!t) continue;
    if (all_targets) std::fill(t->target.begin() + std::min<std::ptrdiff_t>(1, static_cast<std::ptrdiff_t>(t->target.size())), t->target.end(), 1);
    if (t->ids.size() < min_tokens) {
      ++dropped_short;
      continue;
    }
    hash_example(hash, e);
    by_task[e.task] = by_task.value(e.task, 0) + 1;
    by_source[e.source] = by_source.value(e.source, 0) + 1;
    tokens += static_cast<int64_t>(t->ids.size());
    targets += t->targets();
    out.add(*t);
    ++examples;
  }
  if (want >= 0 && examples < want)
    throw std::runtime_error("data '" + name + "' asked for " + std::to_string(want) + " examples; source '" + source +
                             "' gave " + std::to_string(examples) +
                             (dropped_long + dropped_short
                                  ? " after the length filter dropped " + std::to_string(dropped_long + dropped_short)
                                  : ""));
  nlohmann::json provenance = provenance_with_hashes(src), inputs = nlohmann::json::array();
  for (auto& f : provenance.value("files", nlohmann::json::array()))
    if (f.contains("path")) inputs.push_back(TokenCache::stamp(f["path"].get<std::string>()));
  nlohmann::json record = {{"source", source},
                           {"params", entry.params.value},
                           {"count", want < 0 ? nlohmann::json() : nlohmann::json(want)},
                           {"examples", examples},
                           {"read", read},
                           {"tokens", tokens},
                           {"targets", targets},
                           {"dropped_short", dropped_short},
                           {"dropped_long", dropped_long},
                           {"truncated", truncated},
                           {"by_task", by_task},
                           {"by_source", by_source},
                           {"sha256", hash.hex()},
                           {"provenance", provenance}};
  return {{"record", record}, {"inputs", inputs}};
}

}  // namespace

std::string entry_cache_key(const DataEntry& entry, const nlohmann::json& plugins, uint64_t seed,
                            const std::string& chat_template, const Tokenizer& tok) {
  const nlohmann::json& plugin = plugins.at(entry.source);
  nlohmann::json key = {{"format", 1},
                        {"longalign", longalign_version() + "+" + git_commit()},  // templates may change
                        {"entry", entry.to_json()},
                        {"plugin", plugin.value("sha256", plugin.value("file", ""))},
                        {"seed", seed},
                        {"template", chat_template},
                        {"tokenizer", tok.id()}};
  return sha256_hex(key.dump());
}

std::unique_ptr<TokenCacheFile> cached_entry(const std::string& name, const DataEntry& entry,
                                             const nlohmann::json& plugins, uint64_t seed, const std::string& tokenizer,
                                             const std::string& chat_template, TokenCache& cache, bool* built,
                                             const la_llm_client* llm) {
  const std::shared_ptr<const Tokenizer> shared = cell_tokenizer(tokenizer);
  const Tokenizer& tok = *shared;
  auto tmpl = make_chat_template(chat_template, tokenizer);
  return cache.get(
      entry_cache_key(entry, plugins, seed, chat_template, tok), tok.vocab_size(),
      [&](TokenCacheWriter& w) { return build_entry(name, entry, plugins, seed, *tmpl, tok, llm, w); }, built);
}

Dataset load_dataset(const CellConfig& config, const nlohmann::json& plugins, uint64_t seed, std::vector<DataPart>& parts,
                     const la_llm_client* llm) {
  TokenCache cache = TokenCache::open_default();
  Dataset d;
  const std::shared_ptr<const Tokenizer> tok = cell_tokenizer(config.tokenizer);
  if (!config.tokenizer_id.empty() && tok->id() != config.tokenizer_id)
    throw std::runtime_error(config.tokenizer + ": the tokenizer's files changed since the sweep was planned; plan it again");
  d.pad = tok->pad();
  d.vocab_size = tok->vocab_size();
  for (auto& [name, entry] : config.data) {
    bool built = false;
    auto file = cached_entry(name, entry, plugins, seed, config.tokenizer, config.chat_template, cache, &built, llm);
    const nlohmann::json& r = file->meta().at("record");
    DataPart part{name,
                  r["examples"],
                  r["tokens"],
                  r["targets"],
                  r["dropped_short"],
                  r["dropped_long"],
                  r["truncated"],
                  !built,
                  r};
    for (size_t i = 0; i < file->size(); ++i) {
      Tokenized t = file->sequence(i);
      d.lengths.push_back(static_cast<uint32_t>(t.ids.size()));
      d.targets.push_back(t.targets());
      d.tokens.push_back(std::move(t));
    }
    parts.push_back(std::move(part));
  }
  return d;
}

}  // namespace longalign::host
