// render_within: an over-long chat loses the middle of its longest user turn (its head and its
// question survive, the answer is untouched); plain text loses its end; UTF-8 stays whole.
#include <gtest/gtest.h>

#include "cell/dataset.h"
#include <longalign/utf8.hpp>

namespace longalign::host {
namespace {

TEST(RenderWithin, CutsTheMiddleOfTheLongestUserTurn) {
  ByteTokenizer tok;
  auto tmpl = make_chat_template("llama2");
  std::string doc;
  for (int i = 0; i < 400; ++i) doc += "é word " + std::to_string(i) + " ";  // multi-byte characters throughout
  Example e;
  e.messages = {{"user", "START " + doc + " QUESTION?"}, {"assistant", "the answer"}, {"user", "short"}, {"assistant", "ok"}};
  const size_t full = tmpl->render(e, tok).ids.size();
  for (size_t max : {full, full - 1, size_t{300}, size_t{100}}) {
    auto t = render_within(e, *tmpl, tok, max);
    ASSERT_TRUE(t) << max;
    EXPECT_LE(t->ids.size(), max);
    EXPECT_GE(t->ids.size(), max - 4) << "cut no more than needed";
    std::string text;
    for (auto id : t->ids)
      if (id < 256) text += static_cast<char>(id);
    EXPECT_TRUE(valid_utf8(text));
    EXPECT_NE(text.find("START "), std::string::npos);
    EXPECT_NE(text.find(" QUESTION?"), std::string::npos);
    EXPECT_NE(text.find("the answer"), std::string::npos);
    EXPECT_EQ(t->targets(), tmpl->render(e, tok).targets()) << "targets are never cut";
  }
  EXPECT_FALSE(render_within(e, *tmpl, tok, 20)) << "the answers alone do not fit";
}

TEST(RenderWithin, PlainTextKeepsItsHead) {
  ByteTokenizer tok;
  auto tmpl = make_chat_template("llama2");
  Example e;
  e.text = "head ";
  for (int i = 0; i < 100; ++i) e.text += "ü";
  auto t = render_within(e, *tmpl, tok, 50);
  ASSERT_TRUE(t);
  EXPECT_LE(t->ids.size(), 50u);
  std::string text;
  for (auto id : t->ids)
    if (id < 256) text += static_cast<char>(id);
  EXPECT_EQ(text.rfind("head ", 0), 0u);
  EXPECT_TRUE(valid_utf8(text));
}

}  // namespace
}  // namespace longalign::host
