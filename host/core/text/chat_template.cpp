#include "text/chat_template.h"

#include <stdexcept>

#include "text/model_chat_template.h"

namespace longalign::host {

Tokenized render_document(const std::string& text, const Tokenizer& tok) {
  Tokenized t;
  tok.encode_document(text, t.ids);
  t.ids.push_back(tok.eos());
  t.target.assign(t.ids.size(), 1);
  t.target[0] = 0;
  return t;
}

namespace {

void check_roles(const Example& e) {
  bool answered = false;
  for (size_t i = 0; i < e.messages.size(); ++i) {
    const std::string& r = e.messages[i].role;
    if (r == "system" && i != 0) throw std::invalid_argument("a system message must come first");
    if (r != "system" && r != "user" && r != "assistant") throw std::invalid_argument("unknown role '" + r + "'");
    answered |= r == "assistant";
  }
  if (!answered) throw std::invalid_argument("a chat with no assistant message has nothing to learn");
}

class Llama2 : public ChatTemplate {
 public:
  Tokenized render(const Example& e, const Tokenizer& tok) const override {
    if (e.messages.empty()) return render_document(e.text, tok);
    check_roles(e);
    TargetBuilder b(tok);
    std::string system;
    size_t i = 0;
    if (e.messages[0].role == "system") system = e.messages[i++].content;
    while (i < e.messages.size()) {
      const Message& m = e.messages[i++];
      if (m.role == "user") {
        b.special(tok.bos(), false);
        std::string prompt = "[INST] ";
        if (!system.empty()) prompt += "<<SYS>>\n" + system + "\n<</SYS>>\n\n";
        system.clear();
        b.text(prompt + m.content + " [/INST]", false);
      } else {  // assistant
        b.text(" ", false);
        b.text(m.content, true);
        b.special(tok.eos(), true);
      }
    }
    return b.done();
  }
};

class Plain : public ChatTemplate {
 public:
  Tokenized render(const Example& e, const Tokenizer& tok) const override {
    if (e.messages.empty()) return render_document(e.text, tok);
    check_roles(e);
    TargetBuilder b(tok);
    b.special(tok.bos(), false);
    for (auto& m : e.messages) {
      if (m.role == "assistant") {
        b.text("Assistant: ", false);
        b.text(m.content, true);
        b.special(tok.eos(), true);
        b.text("\n", false);
      } else {
        b.text((m.role == "system" ? "System: " : "User: ") + m.content + "\n", false);
      }
    }
    return b.done();
  }
};

}  // namespace

std::vector<uint32_t> ChatTemplate::prompt(const std::vector<Message>& messages, const Tokenizer& tok) const {
  if (messages.empty() || messages.back().role != "user") throw std::invalid_argument("a prompt ends with a user message");
  Example e;
  e.messages = messages;
  // A one-letter reply: the prompt is what comes before its first target token, so it ends as
  // the prompts the model trained on did (without a space token an answer's first word takes in).
  e.messages.push_back({"assistant", "A"});
  Tokenized t = render(e, tok);
  size_t end = t.ids.size();
  while (end > 0 && !t.target[end - 1]) --end;  // past what follows the turn (plain's newline)
  while (end > 0 && t.target[end - 1]) --end;
  t.ids.resize(end);
  return t.ids;
}

std::string chosen_chat_template(const std::string& name, const std::string& tokenizer) {
  if (name != "auto") return name;
  return tokenizer != "byte" && model_chat_template_file(tokenizer) ? "auto" : "llama2";
}

std::unique_ptr<ChatTemplate> make_chat_template(const std::string& name, const std::string& tokenizer) {
  const std::string chosen = chosen_chat_template(name, tokenizer);
  if (chosen == "llama2") return std::make_unique<Llama2>();
  if (chosen == "plain") return std::make_unique<Plain>();
  if (chosen == "auto") return std::make_unique<ModelChatTemplate>(tokenizer);
  throw std::invalid_argument("unknown chat template '" + name + "' (there are: auto, llama2, plain)");
}

}  // namespace longalign::host
