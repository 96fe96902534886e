// The added tokens of a tokenizer.json (special or not): found in the raw text before anything
// else, leftmost and longest first, and never split. lstrip/rstrip take the whitespace beside
// a match with it, as Hugging Face's `tokenizers` does.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "text/hf/file_error.h"

namespace longalign::host::hf {

struct AddedToken {
  std::string content;
  uint32_t id = 0;
  bool special = false, lstrip = false, rstrip = false;
  bool normalized = false;  // matched in normalized text (tokenizers); see HfTokenizer's constructor
};

class AddedTokens {
 public:
  explicit AddedTokens(const JsonAt& list);  // the "added_tokens" array

  struct Section {
    std::string_view text;           // a stretch of text, when `token` is empty
    const AddedToken* token = nullptr;
  };
  std::vector<Section> split(std::string_view text) const;

  const std::vector<AddedToken>& all() const { return tokens_; }
  const AddedToken* find(std::string_view content) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, uint32_t>> children;
    int32_t token = -1;
  };
  int32_t longest_at(std::string_view text, size_t at, size_t* length) const;

  std::vector<AddedToken> tokens_;
  std::vector<Node> trie_;
  bool starts_[256] = {};
};

}  // namespace longalign::host::hf
