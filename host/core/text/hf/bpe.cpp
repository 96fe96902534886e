#include "text/hf/bpe.h"

#include <cstdio>
#include <mutex>
#include <queue>

#include "text/utf8.h"

namespace longalign::host::hf {
namespace {

constexpr size_t kCacheEntries = 1 << 18;
// Longer pieces (a whole section, where no pre-tokenizer splits it) rarely repeat: not kept.
constexpr size_t kCachedPieceBytes = 256;

std::optional<std::string> optional_string(const JsonAt& j, const std::string& key) {
  if (!j.has(key)) return std::nullopt;
  return j.string(key);
}

}  // namespace

Bpe::Bpe(const JsonAt& model) {
  if (model.string("type") != "BPE") model.at("type").fail("only the BPE model is implemented");
  if (model.has("dropout") && (!model.value.at("dropout").is_number() || model.value.at("dropout").get<double>() != 0.0))
    model.at("dropout").fail("BPE dropout samples merges at random; a training tokenizer must be deterministic");
  for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (auto a = optional_string(model, affix); a && !a->empty()) model.at(affix).fail("a non-empty subword affix is not implemented");
  byte_fallback_ = model.flag("byte_fallback", false);
  fuse_unk_ = model.flag("fuse_unk", false);
  ignore_merges_ = model.flag("ignore_merges", false);

  const JsonAt vocab = model.at("vocab");
  if (!vocab.value.is_object()) vocab.fail("expected an object of token -> id");
  vocab_.reserve(vocab.value.size());
  for (auto& [token, id] : vocab.value.items()) {
    const uint32_t i = token_id(vocab.at(token));
    vocab_.emplace(token, i);
    if (i >= token_of_.size()) token_of_.resize(i + 1);
    token_of_[i] = token;
  }
  byte_token_.fill(-1);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    if (auto it = vocab_.find(name); it != vocab_.end()) byte_token_[b] = it->second;
  }
  if (auto unk = optional_string(model, "unk_token")) {
    auto it = vocab_.find(*unk);
    if (it == vocab_.end()) model.at("unk_token").fail("the unknown token '" + *unk + "' is not in the vocabulary");
    unk_ = it->second;
  }
  load_merges(model.at("merges"));
}

void Bpe::load_merges(const JsonAt& merges) {
  merges_.reserve(merges.value.size());
  for (size_t rank = 0; rank < merges.value.size(); ++rank) {
    const auto& m = merges.value[rank];
    std::string a, b;
    if (m.is_string()) {  // "a b"
      const auto& s = m.get_ref<const std::string&>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) merges.at(rank).fail("a merge is two tokens");
      a = s.substr(0, space);
      b = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {  // ["a", "b"]
      a = m[0].get<std::string>();
      b = m[1].get<std::string>();
    } else {
      merges.at(rank).fail("a merge is \"a b\" or [\"a\", \"b\"]");
    }
    auto ia = vocab_.find(a), ib = vocab_.find(b), iab = vocab_.find(a + b);
    if (ia == vocab_.end() || ib == vocab_.end() || iab == vocab_.end())
      merges.at(rank).fail("the merge of '" + a + "' and '" + b + "' names a token outside the vocabulary");
    merges_.emplace(pair_key(ia->second, ib->second), Merge{static_cast<uint32_t>(rank), iab->second});
  }
}

std::optional<uint32_t> Bpe::id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* Bpe::token(uint32_t id) const {
  return id < token_of_.size() && !token_of_[id].empty() ? &token_of_[id] : nullptr;
}

std::vector<uint32_t> Bpe::merge_word(const std::string& piece) const {
  // The word's symbols: its characters, or their bytes' tokens, or the unknown token.
  struct Symbol {
    uint32_t id;
    int prev, next;
    bool alive;
  };
  std::vector<Symbol> s;
  bool last_was_unk = false;
  auto push = [&](uint32_t id) {
    s.push_back({id, static_cast<int>(s.size()) - 1, static_cast<int>(s.size()) + 1, true});
  };
  for (size_t i = 0, n = 0; i < piece.size(); i += n) {
    utf8::decode(piece, i, &n);
    if (auto it = vocab_.find(piece.substr(i, n)); it != vocab_.end()) {
      push(it->second);
      last_was_unk = false;
      continue;
    }
    bool all_bytes = byte_fallback_;
    for (size_t k = 0; all_bytes && k < n; ++k) all_bytes = byte_token_[static_cast<unsigned char>(piece[i + k])] >= 0;
    if (all_bytes) {
      for (size_t k = 0; k < n; ++k) push(static_cast<uint32_t>(byte_token_[static_cast<unsigned char>(piece[i + k])]));
      last_was_unk = false;
    } else if (unk_) {
      if (!(fuse_unk_ && last_was_unk)) push(*unk_);
      last_was_unk = true;
    }
  }
  if (s.empty()) return {};
  s.back().next = -1;

  // Lowest rank first, leftmost among equals; stale entries are skipped when popped.
  using Entry = std::pair<uint32_t, int>;  // rank, left position
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue;
  auto consider = [&](int left) {
    if (left < 0 || s[left].next < 0) return;
    if (auto it = merges_.find(pair_key(s[left].id, s[s[left].next].id)); it != merges_.end()) queue.push({it->second.rank, left});
  };
  for (int i = 0; i + 1 < static_cast<int>(s.size()); ++i) consider(i);
  while (!queue.empty()) {
    const auto [rank, left] = queue.top();
    queue.pop();
    if (!s[left].alive || s[left].next < 0) continue;
    const int right = s[left].next;
    auto it = merges_.find(pair_key(s[left].id, s[right].id));
    if (it == merges_.end() || it->second.rank != rank) continue;
    s[left].id = it->second.id;
    s[right].alive = false;
    s[left].next = s[right].next;
    if (s[left].next >= 0) s[s[left].next].prev = left;
    consider(s[left].prev);
    consider(left);
  }
  std::vector<uint32_t> ids;
  for (int i = 0; i >= 0; i = s[i].next) ids.push_back(s[i].id);
  return ids;
}

void Bpe::encode(const std::string& piece, std::vector<uint32_t>& out) const {
  if (ignore_merges_)
    if (auto it = vocab_.find(piece); it != vocab_.end()) return out.push_back(it->second);
  {
    std::shared_lock lock(cache_mutex_);
    if (auto it = cache_.find(piece); it != cache_.end()) return out.insert(out.end(), it->second.begin(), it->second.end()), void();
  }
  std::vector<uint32_t> ids = merge_word(piece);
  out.insert(out.end(), ids.begin(), ids.end());
  if (piece.size() > kCachedPieceBytes) return;
  std::unique_lock lock(cache_mutex_);
  if (cache_.size() >= kCacheEntries) cache_.clear();
  cache_.emplace(piece, std::move(ids));
}

}  // namespace longalign::host::hf
