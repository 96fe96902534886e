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

}  // namespace longalign::host
