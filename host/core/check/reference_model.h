// A model service whose answers are known in closed form, for checking evaluators without a
// trained model: bytes are tokens, every next token has probability 1/256, and generation
// repeats the prompt's last token (or, where a reply is given, answers every prompt with it, cut
// at max_new_tokens). A conformance check can then predict every score.
#pragma once
#include <longalign/plugin.h>

#include <string>
#include <vector>

namespace longalign::host {

class ReferenceModel {
 public:
  static constexpr uint32_t kVocab = 256;
  explicit ReferenceModel(uint32_t context_size = 4096, std::string reply = "");
  const la_model_service* service() const { return &service_; }

 private:
  uint32_t context_;
  std::string reply_;
  std::vector<uint32_t> ids_;  // the last tokenize() answer
  std::string text_;           // the last detokenize() answer
  std::vector<std::vector<uint32_t>> generated_;
  std::vector<std::string> generated_text_;
  la_model_service service_{};
};

}  // namespace longalign::host
