// Chat templates: a chat (or plain text) becomes token ids plus a target mask. Targets are what
// the model learns to produce: every assistant turn's tokens and the end-of-turn token after it,
// nothing else; for plain text (pretraining), every token after BOS.
//
//   llama2: <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant}</s><s>[INST] ...
//   plain:  <s>User: {user}\nAssistant: {assistant}</s>\nUser: ...
#pragma once
#include <longalign/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

#include "text/tokenizer.h"

namespace longalign::host {

struct Tokenized {
  std::vector<uint32_t> ids;
  std::vector<uint8_t> target;  // 1 where ids[t] is a target token
  uint32_t targets() const;
};

class ChatTemplate {
 public:
  virtual ~ChatTemplate() = default;
  // Throws std::invalid_argument for a chat the template cannot render (e.g. no assistant turn).
  virtual Tokenized render(const Example& e, const Tokenizer& tok) const = 0;
};

// "llama2" or "plain"; throws std::invalid_argument otherwise.
std::unique_ptr<ChatTemplate> make_chat_template(const std::string& name);

// A chat ending in a user turn, rendered up to where the assistant's reply begins: what a model
// trained with this template continues with its answer.
std::vector<uint32_t> render_prompt(const ChatTemplate& tmpl, const std::vector<Message>& messages, const Tokenizer& tok);

}  // namespace longalign::host
