// jsonl-messages: both chat formats, multi-turn targets, gzip, and a clear error (file, line,
// field) for each kind of bad input, fatal or skipped and counted.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "plugin/instance.h"
#include "test_dirs.h"
#include "text/chat_template.h"

namespace longalign::host {
namespace {

std::shared_ptr<PluginLibrary> jsonl() { return PluginLibrary::load(test::kBundled / "jsonl-messages.so"); }

std::filesystem::path write(const test::ScratchDir& dir, const std::string& name, const std::string& content) {
  std::ofstream(dir.path / name, std::ios::binary) << content;
  return dir.path / name;
}

std::vector<Example> read_all(DataSourceInstance& src) {
  src.open(0);
  std::vector<Example> out;
  Example e;
  while (src.next(e)) out.push_back(e);
  return out;
}

// The error a fatal read gives, from create(), count() or next().
std::string error_of(const nlohmann::json& params) {
  try {
    DataSourceInstance src(jsonl(), params);
    read_all(src);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(JsonlMessages, ReadsBothFormatsMultiTurnWithEveryAssistantTurnATarget) {
  test::ScratchDir dir("jsonl");
  auto f = write(dir, "chats.jsonl",
                 R"({"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"},{"role":"user","content":"and 3+3?"},{"role":"assistant","content":"6"}]})"
                 "\n\n"
                 R"({"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"hello"},{"from":"human","value":"bye"},{"from":"gpt","value":"see you"}],"source":"sharegpt"})"
                 "\n");
  DataSourceInstance src(jsonl(), {{"files", {f.string()}}});
  EXPECT_EQ(src.count(), 2);
  auto ex = read_all(src);
  ASSERT_EQ(ex.size(), 2u);
  ASSERT_EQ(ex[0].messages.size(), 5u);
  EXPECT_EQ(ex[0].messages[0].role, "system");
  EXPECT_EQ(ex[0].source, "chats.jsonl");
  EXPECT_EQ(ex[1].source, "sharegpt");
  EXPECT_EQ(ex[1].messages[2].role, "user");
  EXPECT_EQ(ex[1].messages[3].role, "assistant");
  EXPECT_EQ(ex[1].messages[3].content, "see you");
  EXPECT_EQ(nlohmann::json::parse(ex[1].metadata_json)["line"], 3);

  // Every assistant turn (and the end-of-turn token after it) is a target, nothing else.
  ByteTokenizer tok;
  for (auto& e : ex) {
    Tokenized t = make_chat_template("llama2")->render(e, tok);
    std::string targets;
    for (size_t i = 0; i < t.ids.size(); ++i)
      if (t.target[i] && t.ids[i] < 256) targets += static_cast<char>(t.ids[i]);
    std::string answers;
    for (auto& m : e.messages)
      if (m.role == "assistant") answers += m.content;
    EXPECT_EQ(targets, answers);
  }
  auto prov = src.provenance();
  EXPECT_EQ(prov["files"], nlohmann::json::array({f.string()}));
  EXPECT_EQ(prov["examples"], 2);
}

TEST(JsonlMessages, ReadsGzipAndGlobsInOrder) {
  test::ScratchDir dir("jsonl-gz");
  const std::string line = R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]})";
  write(dir, "a.jsonl", line + "\n");
  gzFile gz = gzopen((dir.path / "b.jsonl.gz").c_str(), "wb");
  for (int i = 0; i < 3; ++i) gzputs(gz, (line + "\n").c_str());
  gzclose(gz);
  DataSourceInstance src(jsonl(), {{"files", {(dir.path / "*.jsonl*").string()}}});
  auto ex = read_all(src);
  ASSERT_EQ(ex.size(), 4u);
  EXPECT_EQ(ex[0].source, "a.jsonl");
  EXPECT_EQ(ex[3].source, "b.jsonl.gz");
}

TEST(JsonlMessages, BadInputNamesFileLineAndField) {
  test::ScratchDir dir("jsonl-bad");
  const std::string good = R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]})";
  struct Case {
    std::string name, content, error;
  };
  const std::vector<Case> cases = {
      {"missing.jsonl", good + "\n" + R"({"messages":[{"role":"user"}]})" + "\n", ":2: messages[0]: missing 'content'"},
      {"type.jsonl", R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":7}]})" "\n",
       ":1: messages[1].content: expected a string, got number"},
      {"role.jsonl", R"({"conversations":[{"from":"robot","value":"q"}]})" "\n",
       ":1: conversations[0].from: unknown speaker 'robot' (expected human, gpt or system)"},
      {"neither.jsonl", R"({"text":"q"})" "\n", ":1: missing 'messages' (or ShareGPT's 'conversations')"},
      {"no-answer.jsonl", R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":""}]})" "\n",
       ":1: messages: no non-empty assistant turn (nothing to train on)"},
      {"garbage.jsonl", std::string("\x7f" "ELF\x02\x01\x01\0\0\0", 10) + "\n", ":1: not valid JSON"},
      {"utf8.jsonl", R"({"messages":[{"role":"user","content":"caf)" "\xe9" R"("},{"role":"assistant","content":"a"}]})" "\n",
       ":1: not valid JSON"},
      {"overflow.jsonl", R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"n":1e999999})" "\n",
       ":1: not valid JSON (number overflow parsing '1e999999')"},
      {"huge.jsonl", good + "\n" + std::string(5000, ' ') + good + "\n", ":2: line longer than max_line_bytes (4096)"},
      {"empty.jsonl", "", ": empty file (no JSONL lines)"},
  };
  for (auto& c : cases) {
    auto f = write(dir, c.name, c.content);
    std::string err = error_of({{"files", {f.string()}}, {"max_line_bytes", 4096}});
    EXPECT_NE(err.find(f.string() + c.error), std::string::npos) << c.name << ": " << err;
  }
  EXPECT_NE(error_of({{"files", {(dir.path / "nothing-*.jsonl").string()}}}).find("matches no file"), std::string::npos);
}

TEST(JsonlMessages, SkipsAndCountsBadLinesWhenAsked) {
  test::ScratchDir dir("jsonl-skip");
  const std::string good = R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]})";
  auto f = write(dir, "mixed.jsonl", good + "\nnot json\n" + good + "\n{\"messages\":3}\n" + good + "\n");
  DataSourceInstance src(jsonl(), {{"files", {f.string()}}, {"on_error", "skip"}});
  EXPECT_EQ(src.count(), 3);
  EXPECT_EQ(read_all(src).size(), 3u);
  EXPECT_EQ(src.provenance()["skipped"], 2);
  EXPECT_EQ(src.provenance()["lines"], 5);
}

}  // namespace
}  // namespace longalign::host
