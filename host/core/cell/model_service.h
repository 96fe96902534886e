// The trained model as evaluators see it, through the SDK's la_model_service: token ids in the
// cell's tokenizer, chat prompts in its template, batched scoring of continuations, batched
// generation (greedy or sampled, with the key/value cache), and the context size. Torch-free:
// the cell process implements ServedModel over the engine.
#pragma once
#include <longalign/plugin.h>

#include <string>
#include <vector>

#include "engine.h"
#include "text/chat_template.h"

namespace longalign::host {

class ServedModel {
 public:
  virtual ~ServedModel() = default;
  virtual engine::Model::ContinuationScore score(const std::vector<int64_t>& ids, int64_t from) const = 0;
  virtual std::vector<int64_t> generate(const std::vector<int64_t>& prompt, const engine::Model::Sampling& s) const = 0;
};

class ModelService {
 public:
  // context_size: the longest sequence the model was trained on.
  ModelService(const ServedModel& model, const Tokenizer& tok, const ChatTemplate& tmpl, uint32_t context_size);
  ModelService(const ModelService&) = delete;
  ModelService& operator=(const ModelService&) = delete;
  const la_model_service* table() const { return &table_; }

 private:
  const ServedModel& model_;
  const Tokenizer& tok_;
  const ChatTemplate& tmpl_;
  uint32_t context_;
  // What the last call returned, valid until the next (the ABI's rule).
  std::vector<uint32_t> ids_;
  std::string text_;
  std::vector<std::vector<uint32_t>> generated_;
  std::vector<std::string> generated_text_;
  la_model_service table_{};
};

}  // namespace longalign::host
