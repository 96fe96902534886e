// self-instruct against a local OpenAI-protocol server: the paper's prompts are what is sent,
// the chats it yields pair the document with one proposed question and the answer, a rerun is
// served from the cache, and `data export` writes JSONL that jsonl-messages reads back.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "chat_server.h"
#include "llm/llm_service.h"
#include "plugin/instance.h"
#include "store/store.h"
#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

// Proposes numbered questions for a task prompt; answers a question with "Answer to: ...".
std::string fake_llm(const nlohmann::json& body) {
  const std::string content = body["messages"].back()["content"];
  if (content.find("please propose 5 English") != std::string::npos)
    return "Here are the questions:\n1: What is alpha?\n2. Which part mentions beta?\n3: How does gamma relate to delta?";
  return "Answer to: " + content.substr(content.rfind("\n\n") + 2);
}

struct Docs : test::ScratchDir {
  Docs() : ScratchDir("self-instruct") {
    std::filesystem::create_directories(path / "docs");
    for (int d = 0; d < 3; ++d) {
      std::ofstream f(path / "docs" / ("paper" + std::to_string(d) + ".txt"));
      for (int l = 0; l < 80; ++l) f << "Paper " << d << " line " << l << " discusses alpha, beta, gamma and delta.\n";
    }
  }
  nlohmann::json params() const { return {{"sources", {{"papers", (path / "docs").string()}}}, {"count", 6}}; }
};

std::vector<Example> read_all(DataSourceInstance& src, uint64_t seed) {
  src.open(seed);
  std::vector<Example> out;
  Example e;
  while (src.next(e)) out.push_back(e);
  return out;
}

TEST(SelfInstruct, AsksWithThePapersPromptsAndPairsDocumentQuestionAndAnswer) {
  Docs docs;
  test::ChatServer server(fake_llm);
  LlmConfig c;
  c.url = server.url();
  c.cache_dir = docs.path / "llm-cache";
  LlmClient client(c);
  LlmService service(client);
  DataSourceInstance src(PluginLibrary::load(test::kBundled / "self-instruct.so"), docs.params(), service.table());
  auto ex = read_all(src, 1);
  ASSERT_EQ(ex.size(), 6u);
  std::set<std::string> tasks;
  const std::set<std::string> questions = {"What is alpha?", "Which part mentions beta?", "How does gamma relate to delta?"};
  for (auto& e : ex) {
    tasks.insert(e.task);
    const std::string& user = e.messages.at(0).content;
    const std::string question = user.substr(user.rfind("\n\n") + 2);
    EXPECT_TRUE(questions.count(question)) << question;
    EXPECT_EQ(user.rfind("Paper ", 0), 0u);
    EXPECT_EQ(e.messages.at(1).content, "Answer to: " + question);
    EXPECT_EQ(e.source, "papers");
    EXPECT_EQ(nlohmann::json::parse(e.metadata_json)["questions"].size(), 3u);
  }
  for (auto& t : tasks) EXPECT_TRUE(t == "general" || t == "summary" || t == "reasoning" || t == "extraction") << t;
  EXPECT_GE(tasks.size(), 2u);
  bool saw_summary_prompt = false;
  for (auto& r : server.seen()) {
    const std::string content = r.body["messages"].back()["content"];
    saw_summary_prompt |= content.find("require summarization or integration from multiple parts") != std::string::npos;
  }
  EXPECT_TRUE(saw_summary_prompt || !tasks.count("summary"));
  EXPECT_EQ(server.seen().size(), 12u);  // a proposal and an answer per example

  // The same seed again: served from the cache, the same examples.
  LlmClient again_client(c);
  LlmService again_service(again_client);
  DataSourceInstance again(PluginLibrary::load(test::kBundled / "self-instruct.so"), docs.params(), again_service.table());
  auto ex2 = read_all(again, 1);
  ASSERT_EQ(ex2.size(), ex.size());
  for (size_t i = 0; i < ex.size(); ++i) EXPECT_EQ(ex2[i].messages[1].content, ex[i].messages[1].content);
  EXPECT_EQ(server.seen().size(), 12u);
  EXPECT_EQ(again_client.stats().cache_hits, 12);
}

TEST(SelfInstruct, WithoutAnLlmItSaysSo) {
  Docs docs;
  DataSourceInstance src(PluginLibrary::load(test::kBundled / "self-instruct.so"), docs.params());
  src.open(0);
  Example e;
  try {
    src.next(e);
    FAIL();
  } catch (const std::exception& err) {
    EXPECT_NE(std::string(err.what()).find("no OpenAI-compatible endpoint is configured"), std::string::npos) << err.what();
  }
}

TEST(SelfInstruct, DataExportWritesJsonlThatJsonlMessagesReads) {
  Docs docs;
  test::ChatServer server(fake_llm);
  auto r = docs.longalign({"data", "export", "self-instruct", "--params", docs.params().dump(), "--llm-url", server.url(), "--seed", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ofstream(docs.path / "made.jsonl") << r.out;
  DataSourceInstance back(PluginLibrary::load(test::kBundled / "jsonl-messages.so"),
                          {{"files", {(docs.path / "made.jsonl").string()}}});
  auto ex = read_all(back, 0);
  ASSERT_EQ(ex.size(), 6u);
  EXPECT_EQ(ex[0].messages.size(), 2u);
  EXPECT_EQ(ex[0].messages[1].content.rfind("Answer to: ", 0), 0u);
  EXPECT_EQ(ex[0].source, "papers");  // the line's own "source"
}

TEST(SelfInstruct, ASweepCellAsksTheEndpointItsLlmSectionNames) {
  Docs docs;
  test::ChatServer server(fake_llm);
  std::ofstream(docs.path / "s.toml") << "name = \"made\"\nseeds = [0]\n[config]\ntrain.max_tokens = 8192\nllm.url = \""
                                      << server.url() << "\"\n[[data]]\nname = \"long\"\nsource = \"self-instruct\"\nparams = "
                                      << "{ sources = { papers = \"" << (docs.path / "docs").string() << "\" }, count = 6 }\n";
  auto r = docs.run_sweep();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Store store((docs.path / "r.sqlite").string(), OpenMode::kExisting);
  auto q = store.db().prepare("SELECT cell_id FROM runs");
  ASSERT_TRUE(q.step());
  std::map<std::string, double> m;
  for (auto& [k, v] : store.run_metrics(q.text_at(0))) m[k] = v;
  EXPECT_EQ(m["data.long.examples"], 6);
  EXPECT_EQ(m["llm.requests"], 12);
  EXPECT_EQ(server.seen().size(), 12u);
}

}  // namespace
}  // namespace longalign::host
