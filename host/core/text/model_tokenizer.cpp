#include "text/model_tokenizer.h"

#include <stdexcept>

#include "text/hf_tokenizer.h"
#include "text/sentencepiece_tokenizer.h"

namespace longalign::host {
namespace {

std::unique_ptr<Tokenizer> within(std::unique_ptr<Tokenizer> t, const std::filesystem::path& file, int64_t vocab_size) {
  if (t->vocab_size() > vocab_size)
    throw std::invalid_argument(file.string() + " has " + std::to_string(t->vocab_size()) +
                                " tokens, more than the model's vocabulary of " + std::to_string(vocab_size));
  return t;
}

}  // namespace

std::unique_ptr<Tokenizer> tokenizer_for_model(const std::filesystem::path& dir, int64_t vocab_size) {
  if (std::filesystem::exists(dir / "tokenizer.json"))
    return within(std::make_unique<HfTokenizer>(dir), dir / "tokenizer.json", vocab_size);
  if (std::filesystem::exists(dir / "tokenizer.model"))
    return within(std::make_unique<SentencePieceTokenizer>(dir / "tokenizer.model"), dir / "tokenizer.model", vocab_size);
  auto bytes = std::make_unique<ByteTokenizer>();
  if (vocab_size < bytes->vocab_size())
    throw std::invalid_argument(dir.string() + " has no tokenizer.json or tokenizer.model, and its vocabulary (" +
                                std::to_string(vocab_size) + ") is too small for the byte tokenizer's " +
                                std::to_string(bytes->vocab_size()) + " ids: give token ids with --ids");
  return bytes;
}

}  // namespace longalign::host
