// Tokenizers turn text into ids. The byte tokenizer: ids 0-255 are bytes, then BOS, EOS, PAD.
// Model directories' tokenizers: text/hf_tokenizer.h (tokenizer.json), text/sentencepiece_tokenizer.h.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace longalign::host {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual void encode(std::string_view text, std::vector<uint32_t>& out) const = 0;  // appends
  // The text as a model reads a document: BOS first (a tokenizer.json's post-processor decides).
  virtual void encode_document(std::string_view text, std::vector<uint32_t>& out) const {
    out.push_back(bos());
    encode(text, out);
  }
  virtual std::string decode(const std::vector<uint32_t>& ids) const = 0;
  // The ids as text with special tokens written out, for showing a user what a cell trains on.
  virtual std::string show(const std::vector<uint32_t>& ids) const { return decode(ids); }
  virtual uint32_t vocab_size() const = 0;
  virtual uint32_t bos() const = 0;
  virtual uint32_t eos() const = 0;
  virtual uint32_t pad() const = 0;
  virtual std::string id() const = 0;  // names the tokenizer and its vocabulary, for cache keys
};

class ByteTokenizer : public Tokenizer {
 public:
  void encode(std::string_view text, std::vector<uint32_t>& out) const override;
  std::string decode(const std::vector<uint32_t>& ids) const override;  // special ids are skipped
  std::string show(const std::vector<uint32_t>& ids) const override;    // <s>, </s>, <pad> written out
  uint32_t vocab_size() const override { return 259; }
  uint32_t bos() const override { return 256; }
  uint32_t eos() const override { return 257; }
  uint32_t pad() const override { return 258; }
  std::string id() const override { return "byte-v1"; }
};

}  // namespace longalign::host
