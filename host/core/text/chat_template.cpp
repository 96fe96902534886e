#include "text/chat_template.h"

#include <stdexcept>

namespace longalign::host {
namespace {

struct Builder {
  const Tokenizer& tok;
  Tokenized out;
  void text(std::string_view s, bool target) {
    size_t before = out.ids.size();
    tok.encode(s, out.ids);
    out.target.resize(out.ids.size(), 0);
    if (target) std::fill(out.target.begin() + static_cast<std::ptrdiff_t>(before), out.target.end(), 1);
  }
  void special(uint32_t id, bool target) {
    out.ids.push_back(id);
    out.target.push_back(target ? 1 : 0);
  }
};

// Plain text (no messages): BOS, then the text and EOS, all targets.
Tokenized render_text(const Example& e, const Tokenizer& tok) {
  Builder b{tok, {}};
  b.special(tok.bos(), false);
  b.text(e.text, true);
  b.special(tok.eos(), true);
  return b.out;
}

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
    if (e.messages.empty()) return render_text(e, tok);
    check_roles(e);
    Builder b{tok, {}};
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
    return b.out;
  }
};

class Plain : public ChatTemplate {
 public:
  Tokenized render(const Example& e, const Tokenizer& tok) const override {
    if (e.messages.empty()) return render_text(e, tok);
    check_roles(e);
    Builder b{tok, {}};
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
    return b.out;
  }
};

}  // namespace

uint32_t Tokenized::targets() const {
  uint32_t n = 0;
  for (uint8_t t : target) n += t;
  return n;
}

std::vector<uint32_t> render_prompt(const ChatTemplate& tmpl, const std::vector<Message>& messages, const Tokenizer& tok) {
  if (messages.empty() || messages.back().role != "user") throw std::invalid_argument("a prompt ends with a user message");
  Example e;
  e.messages = messages;
  e.messages.push_back({"assistant", ""});
  Tokenized t = tmpl.render(e, tok);
  // The empty reply's only target is its end-of-turn token: the prompt is what comes before it.
  size_t end = t.ids.size();
  while (end > 0 && !t.target[end - 1]) --end;  // past what follows the turn (plain's newline)
  while (end > 0 && t.target[end - 1]) --end;
  t.ids.resize(end);
  return t.ids;
}

std::unique_ptr<ChatTemplate> make_chat_template(const std::string& name) {
  if (name == "llama2") return std::make_unique<Llama2>();
  if (name == "plain") return std::make_unique<Plain>();
  throw std::invalid_argument("unknown chat template '" + name + "'");
}

}  // namespace longalign::host
