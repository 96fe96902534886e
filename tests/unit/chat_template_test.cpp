// Chat templates: exactly the assistant turns and their end-of-turn tokens are targets.
#include <gtest/gtest.h>

#include "text/chat_template.h"

namespace longalign::host {
namespace {

std::string targets_of(const Tokenized& t, const ByteTokenizer& tok) {
  std::string s;
  for (size_t i = 0; i < t.ids.size(); ++i)
    if (t.target[i]) s += t.ids[i] == tok.eos() ? std::string("</s>") : std::string(1, static_cast<char>(t.ids[i]));
  return s;
}

TEST(ChatTemplate, Llama2MarksEveryAssistantTurn) {
  ByteTokenizer tok;
  Example e;
  e.messages = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}, {"assistant", "Ciao"}};
  Tokenized t = make_chat_template("llama2")->render(e, tok);
  EXPECT_EQ(tok.decode(t.ids), "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello[INST] Bye [/INST] Ciao");
  EXPECT_EQ(targets_of(t, tok), "Hello</s>Ciao</s>");
  EXPECT_EQ(t.targets(), 11u);
  EXPECT_EQ(t.ids[0], tok.bos());
}

TEST(ChatTemplate, PlainTemplateAndPlainText) {
  ByteTokenizer tok;
  Example e;
  e.messages = {{"user", "2+2?"}, {"assistant", "4"}};
  Tokenized t = make_chat_template("plain")->render(e, tok);
  EXPECT_EQ(tok.decode(t.ids), "User: 2+2?\nAssistant: 4\n");
  EXPECT_EQ(targets_of(t, tok), "4</s>");
  Example text;
  text.text = "abc";
  Tokenized p = make_chat_template("llama2")->render(text, tok);
  EXPECT_EQ(p.ids.size(), 5u);  // BOS a b c EOS
  EXPECT_EQ(p.targets(), 4u);   // all but BOS
}

TEST(ChatTemplate, RejectsChatsItCannotRender) {
  ByteTokenizer tok;
  Example e;
  e.messages = {{"user", "hi"}};
  EXPECT_THROW(make_chat_template("llama2")->render(e, tok), std::invalid_argument);
  e.messages = {{"user", "hi"}, {"system", "late"}, {"assistant", "x"}};
  EXPECT_THROW(make_chat_template("llama2")->render(e, tok), std::invalid_argument);
  EXPECT_THROW(make_chat_template("chatml"), std::invalid_argument);
}

}  // namespace
}  // namespace longalign::host
