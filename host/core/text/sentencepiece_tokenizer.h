// sentencepiece (`tokenizer.model`, as Llama-2 checkpoints ship it) through Debian's
// libsentencepiece.
// Its own library, linked only into torch-free binaries: Debian's libsentencepiece carries
// protobuf symbols that clash with libtorch's protobuf in one process (a crash at load).
#pragma once
#include <filesystem>
#include <memory>

#include "text/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace longalign::host {

class SentencePieceTokenizer : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(const std::filesystem::path& model_file);  // throws std::invalid_argument
  ~SentencePieceTokenizer() override;
  void encode(std::string_view text, std::vector<uint32_t>& out) const override;
  std::string decode(const std::vector<uint32_t>& ids) const override;
  uint32_t vocab_size() const override;
  uint32_t bos() const override;
  uint32_t eos() const override;
  uint32_t pad() const override;  // the model's pad, else its EOS (Llama's has none)
  std::string id() const override { return id_; }  // "sentencepiece:" and the model file's SHA-256

 private:
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::string id_;
};

}  // namespace longalign::host
