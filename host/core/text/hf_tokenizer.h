// A Hugging Face fast tokenizer (tokenizer.json, with tokenizer_config.json beside it when
// there is one), implemented here for what Llama-2/3, Qwen2/3, Gemma, Mistral and DeepSeek ship:
// BPE with byte-level or sentencepiece-style (metaspace, byte fallback) pre-tokenization, added
// tokens matched first and never split, the post-processor's BOS/EOS, and the decoders. What it
// does not implement exactly is refused naming the file and the JSON path. Checked id for id
// against transformers.js on a test corpus (tests/integration/hf_tokenizer_test.cpp).
#pragma once
#include <filesystem>
#include <memory>
#include <optional>

#include "text/tokenizer.h"

namespace longalign::host {

class HfTokenizer : public Tokenizer {
 public:
  // `dir` holds tokenizer.json. Throws hf::TokenizerFileError (std::invalid_argument).
  explicit HfTokenizer(const std::filesystem::path& dir);
  ~HfTokenizer() override;

  // The text's ids, no special tokens added; invalid UTF-8 is read as U+FFFD.
  void encode(std::string_view text, std::vector<uint32_t>& out) const override;
  // The same with the post-processor's special tokens around it (a BOS, for most families).
  void encode_with_special_tokens(std::string_view text, std::vector<uint32_t>& out) const;
  void encode_document(std::string_view text, std::vector<uint32_t>& out) const override { encode_with_special_tokens(text, out); }
  std::string decode(const std::vector<uint32_t>& ids) const override { return decode(ids, true); }
  std::string decode(const std::vector<uint32_t>& ids, bool skip_special_tokens) const;
  std::string show(const std::vector<uint32_t>& ids) const override { return decode(ids, false); }

  uint32_t vocab_size() const override;
  uint32_t bos() const override;  // throws std::logic_error when tokenizer_config.json names none (Qwen)
  uint32_t eos() const override;
  uint32_t pad() const override;  // its pad token, else its EOS
  std::optional<uint32_t> bos_token() const;
  std::optional<uint32_t> token_id(std::string_view token) const;
  std::vector<std::string> special_tokens() const;  // the added tokens marked special, as written
  // "tokenizer.json:" and the SHA-256 of its files (tokenizer_config.json and chat_template.jinja
  // too, where they are: a chat template changes what a cell trains on)
  std::string id() const override;

 private:
  void load(const std::filesystem::path& dir, const std::filesystem::path& file);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace longalign::host
