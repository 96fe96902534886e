// The pipeline stages a tokenizer.json declares, each loaded from its JSON (null: the stage is
// absent) and refusing, by JSON path, any type or option it does not implement exactly.
// Text flows: added tokens split out -> normalizer -> pre-tokenizer (pieces) -> model (ids);
// ids flow back: tokens -> decoder -> text. Semantics follow Hugging Face's `tokenizers` (Rust).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "text/hf/file_error.h"

namespace longalign::host::hf {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual std::string normalize(std::string text) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces each piece by the pieces it splits into (empty pieces dropped).
  virtual void split(std::vector<std::string>& pieces) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites the token strings; the decoded text is their concatenation.
  virtual void decode(std::vector<std::string>& tokens) const = 0;
};

std::unique_ptr<Normalizer> load_normalizer(const JsonAt& j);
std::unique_ptr<PreTokenizer> load_pre_tokenizer(const JsonAt& j);
// `added_tokens`: the contents of the added tokens, which byte-level decoding passes through.
std::unique_ptr<Decoder> load_decoder(const JsonAt& j, const std::vector<std::string>& added_tokens);

// What the post-processor puts around one sequence (TemplateProcessing's "single").
struct SpecialTokensAround {
  std::vector<uint32_t> before, after;
};
SpecialTokensAround load_post_processor(const JsonAt& j);

// `text` with every occurrence of `from` (not empty) replaced by `to`, left to right.
std::string replace_all(const std::string& text, const std::string& from, const std::string& to);

// GPT-2's map of bytes to printable characters (as UTF-8), and back.
const std::string& byte_to_unicode(unsigned char b);
// The byte a byte-level character stands for, or -1.
int unicode_to_byte(char32_t c);

// A Replace or Split "pattern": {"String": literal} or {"Regex": pattern}.
class Regex;
Regex load_pattern(const JsonAt& j);

// A type name the loaders do not implement: refused with the list of those they do.
[[noreturn]] void unsupported(const JsonAt& type, const std::string& stage, const std::vector<std::string>& supported);

}  // namespace longalign::host::hf
