#include "text/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <stdexcept>

#include "util/sha256.h"

namespace longalign::host {

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& model_file)
    : sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  auto status = sp_->Load(model_file.string());
  if (!status.ok()) throw std::invalid_argument(model_file.string() + ": not a sentencepiece model: " + status.ToString());
  if (sp_->bos_id() < 0 || sp_->eos_id() < 0)
    throw std::invalid_argument(model_file.string() + ": the sentencepiece model has no BOS or EOS piece");
  id_ = "sentencepiece:" + sha256_file(model_file);
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

void SentencePieceTokenizer::encode(std::string_view text, std::vector<uint32_t>& out) const {
  std::vector<int> ids;
  auto status = sp_->Encode(std::string(text), &ids);
  if (!status.ok()) throw std::invalid_argument("sentencepiece: " + status.ToString());
  out.insert(out.end(), ids.begin(), ids.end());
}

std::string SentencePieceTokenizer::decode(const std::vector<uint32_t>& ids) const {
  std::string text;
  sp_->Decode(std::vector<int>(ids.begin(), ids.end()), &text).IgnoreError();
  return text;
}

uint32_t SentencePieceTokenizer::vocab_size() const { return static_cast<uint32_t>(sp_->GetPieceSize()); }
uint32_t SentencePieceTokenizer::bos() const { return static_cast<uint32_t>(sp_->bos_id()); }
uint32_t SentencePieceTokenizer::eos() const { return static_cast<uint32_t>(sp_->eos_id()); }
uint32_t SentencePieceTokenizer::pad() const { return static_cast<uint32_t>(sp_->pad_id() >= 0 ? sp_->pad_id() : sp_->eos_id()); }

std::unique_ptr<Tokenizer> tokenizer_for_model(const std::filesystem::path& dir, int64_t vocab_size) {
  if (std::filesystem::exists(dir / "tokenizer.model")) {
    auto t = std::make_unique<SentencePieceTokenizer>(dir / "tokenizer.model");
    if (t->vocab_size() > vocab_size)
      throw std::invalid_argument((dir / "tokenizer.model").string() + " has " + std::to_string(t->vocab_size()) +
                                  " pieces, more than the model's vocabulary of " + std::to_string(vocab_size));
    return t;
  }
  if (std::filesystem::exists(dir / "tokenizer.json"))
    throw std::invalid_argument(dir.string() + " has a tokenizer.json but no tokenizer.model: only sentencepiece models are "
                                "read (give the model's tokenizer.model, or token ids with --ids)");
  auto bytes = std::make_unique<ByteTokenizer>();
  if (vocab_size < bytes->vocab_size())
    throw std::invalid_argument(dir.string() + " has no tokenizer.model, and its vocabulary (" + std::to_string(vocab_size) +
                                ") is too small for the byte tokenizer's " + std::to_string(bytes->vocab_size()) +
                                " ids: give token ids with --ids");
  return bytes;
}

}  // namespace longalign::host
