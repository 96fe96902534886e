// The BPE model of a tokenizer.json: vocabulary, ranked merges, byte fallback (<0xHH> tokens
// for characters outside the vocabulary), unknown-token fusing and ignore_merges (a piece that
// is itself a token is taken whole), as Hugging Face's `tokenizers` applies them.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/hf/file_error.h"

namespace longalign::host::hf {

class Bpe {
 public:
  explicit Bpe(const JsonAt& model);  // the "model" object; throws TokenizerFileError

  void encode(const std::string& piece, std::vector<uint32_t>& out) const;  // appends
  std::optional<uint32_t> id(std::string_view token) const;
  const std::string* token(uint32_t id) const;  // nullptr when no vocabulary entry has this id
  uint32_t size() const { return static_cast<uint32_t>(token_of_.size()); }

 private:
  struct Merge {
    uint32_t rank, id;
  };
  static uint64_t pair_key(uint32_t a, uint32_t b) { return (uint64_t(a) << 32) | b; }
  void load_merges(const JsonAt& merges);
  std::vector<uint32_t> merge_word(const std::string& piece) const;

  std::unordered_map<std::string, uint32_t> vocab_;
  std::vector<std::string> token_of_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::array<int64_t, 256> byte_token_{};  // the id of <0xHH>, or -1
  std::optional<uint32_t> unk_;
  bool byte_fallback_ = false, fuse_unk_ = false, ignore_merges_ = false;

  // Pieces repeat (words, indentation): their ids are kept, up to a bound.
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<uint32_t>> cache_;
};

}  // namespace longalign::host::hf
