// A cell's data: each [[data]] entry's exact count of examples, read from its source plugin,
// rendered with the chat template into token ids and target masks, filtered by length (or
// truncated), and recorded: what each entry holds by task and source, a hash of its content,
// and the inputs its source read.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cell/cell_config.h"
#include "cell/token_cache.h"
#include "text/chat_template.h"

namespace longalign::host {

// The tokenized sequences of a cell, in the order the batching plugin sees them.
struct Dataset {
  std::vector<uint32_t> lengths, targets;
  std::vector<Tokenized> tokens;
  uint32_t pad = 0;
  uint32_t vocab_size = 0;  // the cell's tokenizer's
};

struct DataPart {
  std::string name;  // the [[data]] entry
  int64_t examples = 0, tokens = 0, targets = 0;
  int64_t dropped_short = 0, dropped_long = 0, truncated = 0;
  bool cached = false;  // read from the token cache, not tokenized again
  // {"source", "params", "count", "by_task", "by_source", "sha256", "provenance"}: the entry's
  // composition as the cell trained on it. sha256 hashes the examples as read, in order.
  nlohmann::json record;
};

// plugins: name -> {"file", "sha256"}. Entries come from the
// token cache (cell/token_cache.h) when a cell with the same entry, seed, tokenizer and template
// made them. Throws std::runtime_error naming the entry (and example) when a source falls short
// or an example cannot be rendered.
// llm: the client offered to sources that ask an LLM.
Dataset load_dataset(const CellConfig& config, const nlohmann::json& plugins, uint64_t seed, std::vector<DataPart>& parts,
                     const la_llm_client* llm = nullptr);

// What identifies a tokenized entry in the cache: its config (source, params, count, filter),
// the plugin file's hash, the seed, the template and the tokenizer.
std::string entry_cache_key(const DataEntry& entry, const nlohmann::json& plugins, uint64_t seed,
                            const std::string& chat_template, const Tokenizer& tok);

// One entry's tokens, from the cache, or streamed into it from the source (memory stays flat
// however large the source); `built` says which. `tokenizer` and `chat_template` are a cell's
// resolved settings ("byte" or a tokenizer directory; "auto", "llama2" or "plain").
std::unique_ptr<TokenCacheFile> cached_entry(const std::string& name, const DataEntry& entry,
                                             const nlohmann::json& plugins, uint64_t seed, const std::string& tokenizer,
                                             const std::string& chat_template, TokenCache& cache, bool* built,
                                             const la_llm_client* llm = nullptr);

// Renders e, cutting the middle of its longest user turn (plain text: its end) until it fits
// max_tokens; nullopt when even an empty turn does not fit. Cuts keep UTF-8 whole.
std::optional<Tokenized> render_within(Example e, const ChatTemplate& tmpl, const Tokenizer& tok, size_t max_tokens);

}  // namespace longalign::host
