// A model's own chat template (`chat_template = "auto"`): its tokenizer directory's
// chat_template.jinja, else the chat_template of its tokenizer_config.json (a string, or the
// entry named "default" of a list), rendered by text/jinja/ with the variables transformers'
// apply_chat_template gives it: messages, add_generation_prompt, the special tokens' text,
// and tools and documents as none. The rendered text is tokenized whole, special tokens found
// in it as the model's tokenizer finds them.
//
// Targets come from the template's own output, never from guessed marker strings. For each
// assistant message k of a chat:
//   - its reply begins where the chat before it, rendered with the generation prompt, ends
//     (that rendering must begin the whole chat's: a template that renders earlier turns
//     differently once later ones follow is refused with that reason);
//   - its text ends where a mark put after the message's last non-space character shows up in
//     the rendering (the template must write the text unchanged, in one place);
//   - its turn ends after the special token that the template writes next, spaces aside (a
//     template with none there is refused: a model trained on it could not learn to stop).
// The reply's tokens up to and including that end-of-turn token are the targets; that token
// is also where generation stops.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "text/chat_template.h"
#include "text/jinja/template.h"

namespace longalign::host {

// The file a tokenizer directory's chat template is read from, if it has one.
std::optional<std::filesystem::path> model_chat_template_file(const std::filesystem::path& tokenizer_dir);

class ModelChatTemplate : public ChatTemplate {
 public:
  // `tokenizer_dir` holds the template and a tokenizer.json. Throws std::invalid_argument
  // naming the file (and the template's line) for one that cannot be read or used.
  explicit ModelChatTemplate(const std::filesystem::path& tokenizer_dir);

  Tokenized render(const Example& e, const Tokenizer& tok) const override;
  std::vector<uint32_t> prompt(const std::vector<Message>& messages, const Tokenizer& tok) const override;
  uint32_t stop_token(const Tokenizer& tok) const override;

 private:
  struct Reply {
    size_t begin = 0;     // where the reply starts: after the generation prompt
    size_t text_end = 0;  // where the message's text ends in it
    size_t end = 0;       // after its end-of-turn token
  };
  std::string render_chat(const std::vector<Message>& messages, bool add_generation_prompt) const;
  Reply find_reply(const std::vector<Message>& messages, size_t k, const std::string& whole) const;
  [[noreturn]] void refuse(const std::string& why) const;

  std::string file_;  // for messages: the file the template came from
  std::optional<jinja::Template> template_;
  jinja::Object special_token_variables_;  // bos_token, eos_token, ...
  std::vector<std::string> special_tokens_;  // longest first
  std::string end_of_turn_;
};

}  // namespace longalign::host
