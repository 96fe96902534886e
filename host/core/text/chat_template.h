// Chat templates: a chat (or plain text) becomes token ids plus a target mask. Targets are what
// the model learns to produce: every assistant turn's tokens and the end-of-turn token after it,
// nothing else; for plain text (pretraining), every token after BOS.
//
//   llama2: <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant}</s><s>[INST] ...
//   plain:  <s>User: {user}\nAssistant: {assistant}</s>\nUser: ...
//   auto:   the model's own Jinja template (text/model_chat_template.h)
#pragma once
#include <longalign/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

#include "text/target_builder.h"
#include "text/tokenizer.h"

namespace longalign::host {

class ChatTemplate {
 public:
  virtual ~ChatTemplate() = default;
  // Throws std::invalid_argument for a chat the template cannot render (e.g. no assistant turn).
  virtual Tokenized render(const Example& e, const Tokenizer& tok) const = 0;
  // A chat ending in a user turn, rendered up to where the assistant's reply begins: what a
  // model trained with this template continues with its answer.
  virtual std::vector<uint32_t> prompt(const std::vector<Message>& messages, const Tokenizer& tok) const;
  // The token a reply ends with: generation stops there.
  virtual uint32_t stop_token(const Tokenizer& tok) const { return tok.eos(); }
};

// Plain text (no messages): the document as the tokenizer reads one (BOS first where it has
// one), then EOS; every token a target but the first, which nothing comes before to predict.
Tokenized render_document(const std::string& text, const Tokenizer& tok);

// What a `chat_template` setting means for a cell's tokenizer ("byte" or a tokenizer
// directory): "auto" is that directory's own template where it has one (and stays "auto"),
// else "llama2"; the others are themselves.
std::string chosen_chat_template(const std::string& name, const std::string& tokenizer);

// "auto", "llama2" or "plain"; throws std::invalid_argument for another name, or for a model
// template that cannot be read, naming the file.
std::unique_ptr<ChatTemplate> make_chat_template(const std::string& name, const std::string& tokenizer = "byte");

}  // namespace longalign::host
