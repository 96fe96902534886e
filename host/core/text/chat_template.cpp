#include "text/chat_template.h"

#include <stdexcept>

namespace longalign::host {
namespace {

// Text between special tokens is tokenized whole, as a model's tokenizer reads a rendered chat
// (pieces tokenized apart would start each answer with tokens the model never saw: "Ġ" "Sure"
// where it knows "ĠSure"). A token is a target when it is not among the tokens of the text
// before its target run began: the one that joins the space before an answer to its first
// word is the answer's. Bytes never join, so the byte tokenizer's targets are the runs' bytes.
class Builder {
 public:
  explicit Builder(const Tokenizer& tok) : tok_(tok) {}
  void text(std::string_view s, bool target) {
    if (!s.empty() && (runs_.empty() || runs_.back().second != target)) runs_.push_back({pending_.size(), target});
    pending_ += s;
  }
  void special(uint32_t id, bool target) {
    flush();
    out_.ids.push_back(id);
    out_.target.push_back(target ? 1 : 0);
  }
  Tokenized done() {
    flush();
    return std::move(out_);
  }

 private:
  void flush() {
    if (pending_.empty()) return;
    std::vector<uint32_t> all;
    tok_.encode(pending_, all);
    std::vector<uint8_t> target(all.size(), 0);
    for (size_t r = 0; r < runs_.size(); ++r) {
      // The tokens of the text before this run that the whole text shares start where it ends.
      std::vector<uint32_t> before;
      if (runs_[r].first > 0) tok_.encode(std::string_view(pending_).substr(0, runs_[r].first), before);
      size_t shared = 0;
      while (shared < before.size() && shared < all.size() && before[shared] == all[shared]) ++shared;
      std::fill(target.begin() + static_cast<std::ptrdiff_t>(shared), target.end(), runs_[r].second ? 1 : 0);
    }
    out_.ids.insert(out_.ids.end(), all.begin(), all.end());
    out_.target.insert(out_.target.end(), target.begin(), target.end());
    pending_.clear();
    runs_.clear();
  }

  const Tokenizer& tok_;
  Tokenized out_;
  std::string pending_;                        // the text since the last special token
  std::vector<std::pair<size_t, bool>> runs_;  // where in it each run of (non-)targets begins
};

// Plain text (no messages): BOS, then the text and EOS, all targets.
Tokenized render_text(const Example& e, const Tokenizer& tok) {
  Builder b(tok);
  b.special(tok.bos(), false);
  b.text(e.text, true);
  b.special(tok.eos(), true);
  return b.done();
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
    Builder b(tok);
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
    if (e.messages.empty()) return render_text(e, tok);
    check_roles(e);
    Builder b(tok);
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

uint32_t Tokenized::targets() const {
  uint32_t n = 0;
  for (uint8_t t : target) n += t;
  return n;
}

std::vector<uint32_t> render_prompt(const ChatTemplate& tmpl, const std::vector<Message>& messages, const Tokenizer& tok) {
  if (messages.empty() || messages.back().role != "user") throw std::invalid_argument("a prompt ends with a user message");
  Example e;
  e.messages = messages;
  // A one-letter reply: the prompt is what comes before its first target token, so it ends as
  // the prompts the model trained on did (without a space token an answer's first word takes in).
  e.messages.push_back({"assistant", "A"});
  Tokenized t = tmpl.render(e, tok);
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
