#include "text/hf/added_tokens.h"

namespace longalign::host::hf {
namespace {

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

AddedTokens::AddedTokens(const JsonAt& list) {
  trie_.emplace_back();
  for (size_t i = 0; i < list.value.size(); ++i) {
    const JsonAt t = list.at(i);
    AddedToken a{t.string("content"), token_id(t.at("id")), t.flag("special", false), t.flag("lstrip", false),
                 t.flag("rstrip", false), t.flag("normalized", false)};
    if (a.content.empty()) t.at("content").fail("an added token is not empty");
    if (t.flag("single_word", false)) t.at("single_word").fail("single_word added tokens are not implemented");
    uint32_t node = 0;
    for (unsigned char c : a.content) {
      uint32_t next = 0;
      for (auto& [k, child] : trie_[node].children)
        if (k == c) next = child;
      if (!next) {
        next = static_cast<uint32_t>(trie_.size());
        trie_[node].children.emplace_back(c, next);
        trie_.emplace_back();
      }
      node = next;
    }
    trie_[node].token = static_cast<int32_t>(tokens_.size());
    starts_[static_cast<unsigned char>(a.content[0])] = true;
    tokens_.push_back(std::move(a));
  }
}

int32_t AddedTokens::longest_at(std::string_view text, size_t at, size_t* length) const {
  int32_t found = -1;
  uint32_t node = 0;
  for (size_t i = at; i < text.size(); ++i) {
    uint32_t next = 0;
    for (auto& [k, child] : trie_[node].children)
      if (k == static_cast<unsigned char>(text[i])) next = child;
    if (!next) break;
    node = next;
    if (trie_[node].token >= 0) {
      found = trie_[node].token;
      *length = i + 1 - at;
    }
  }
  return found;
}

std::vector<AddedTokens::Section> AddedTokens::split(std::string_view text) const {
  std::vector<Section> out;
  size_t start = 0;  // of the pending stretch of text
  for (size_t i = 0; i < text.size();) {
    size_t length = 0;
    const int32_t t = starts_[static_cast<unsigned char>(text[i])] ? longest_at(text, i, &length) : -1;
    if (t < 0) {
      ++i;
      continue;
    }
    const AddedToken& a = tokens_[t];
    size_t before_end = i, after = i + length;
    if (a.lstrip)
      while (before_end > start && is_space(text[before_end - 1])) --before_end;
    if (a.rstrip)
      while (after < text.size() && is_space(text[after])) ++after;
    if (before_end > start) out.push_back({text.substr(start, before_end - start)});
    out.push_back({{}, &a});
    start = i = after;
  }
  if (start < text.size()) out.push_back({text.substr(start)});
  return out;
}

const AddedToken* AddedTokens::find(std::string_view content) const {
  size_t length = 0;
  const int32_t t = content.empty() ? -1 : longest_at(content, 0, &length);
  return t >= 0 && length == content.size() ? &tokens_[t] : nullptr;
}

}  // namespace longalign::host::hf
