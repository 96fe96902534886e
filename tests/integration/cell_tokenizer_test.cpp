// A cell trains with a tokenizer.json: `tokenizer` names a directory (or "auto" finds
// model.init_from's), the model from scratch gets its vocabulary, the saved model/ carries the
// tokenizer files so `longalign score` reads it back with them, the cell id pins the tokenizer
// by content, `--show-example` shows what the cell trains on, and a missing or unfit tokenizer
// is refused at plan time, naming the key.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "store/sqlite.h"
#include "test_dirs.h"
#include "text/hf/components.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A byte-level BPE: the 256 bytes, three merges ("l l", "e ll", "t h"), and <s> </s> <pad>;
// with a chat template, <|im_start|> and <|im_end|> too, and the template in tokenizer_config.json.
constexpr int kVocab = 256 + 3 + 3;
void write_tokenizer(const fs::path& dir, bool with_bos = true, const std::string& chat_template = "") {
  fs::create_directories(dir);
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[hf::byte_to_unicode(static_cast<unsigned char>(b))] = b;
  vocab["ll"] = 256, vocab["ell"] = 257, vocab["th"] = 258;
  nlohmann::json added = nlohmann::json::array();
  int id = 259;
  for (const char* t : {"<s>", "</s>", "<pad>", "<|im_start|>", "<|im_end|>"})
    if (id < 262 || !chat_template.empty()) added.push_back({{"id", id++}, {"content", t}, {"special", true}});
  const nlohmann::json tokenizer = {
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", {"l l", "e ll", "t h"}}}},
      {"added_tokens", added},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
      {"post_processor", {{"type", "TemplateProcessing"},
                          {"single", {{{"SpecialToken", {{"id", "<s>"}}}}, {{"Sequence", {{"id", "A"}}}}}},
                          {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {259}}}}}}}},
      {"decoder", {{"type", "ByteLevel"}}}};
  std::ofstream(dir / "tokenizer.json") << tokenizer.dump();
  nlohmann::json config = {{"eos_token", "</s>"}, {"pad_token", "<pad>"}};
  if (with_bos) config["bos_token"] = "<s>";
  if (!chat_template.empty()) config["chat_template"] = chat_template;
  std::ofstream(dir / "tokenizer_config.json") << config.dump();
}

std::string sweep(const std::string& name, const std::string& extra) {
  return "name = \"" + name + "\"\n[config]\ntrain.epochs = 1\ntrain.sequences_per_step = 4\n" + extra +
         "\n[[data]]\nsource = \"synthetic-copy\"\nparams = { count = 40 }\n";
}

std::string cell_id(test::ScratchDir& d, const std::string& file) {
  ProcessResult p = d.longalign({"plan", (d.path / file).string(), "--json"});
  return p.ok() ? nlohmann::json::parse(p.out)["cells"][0]["id"].get<std::string>() : p.err;
}

TEST(CellTokenizer, ACellTrainsWithATokenizerJsonAndItsModelKeepsIt) {
  test::ScratchDir d("cell-tokenizer");
  write_tokenizer(d.path / "tok");
  std::ofstream(d.path / "a.toml") << sweep("a", "tokenizer = \"tok\"");
  ProcessResult run = d.longalign({"run", (d.path / "a.toml").string(), "--db", (d.path / "a.sqlite").string()}, 300s);
  ASSERT_TRUE(run.ok()) << run.err;
  const std::string id = cell_id(d, "a.toml");
  const fs::path model = d.path / "a" / "cells" / id / "model";

  std::ifstream config_file(model / "config.json");
  const nlohmann::json config = nlohmann::json::parse(config_file);
  EXPECT_EQ(config["vocab_size"], kVocab) << "a model from scratch has the tokenizer's vocabulary";
  EXPECT_EQ(config["bos_token_id"], 259) << "where transformers' generate() looks for them";
  EXPECT_EQ(config["eos_token_id"], 260);
  EXPECT_TRUE(fs::exists(model / "tokenizer.json"));
  EXPECT_TRUE(fs::exists(model / "tokenizer_config.json"));

  // "hello" is h ell o with these merges: <s> and 3 tokens, so 3 next-token scores (bytes: 5).
  ProcessResult score = d.longalign({"score", "--model", model.string(), "--text", "hello", "--json"}, 120s);
  ASSERT_TRUE(score.ok()) << score.err;
  EXPECT_EQ(nlohmann::json::parse(score.out).size(), 3u) << score.out;

  // The tokenizer is pinned by content: a copy elsewhere is the same cell, a change is another.
  write_tokenizer(d.path / "elsewhere" / "tok");
  std::ofstream(d.path / "b.toml") << sweep("a", "tokenizer = \"elsewhere/tok\"");
  EXPECT_EQ(cell_id(d, "b.toml"), id);
  std::ofstream(d.path / "elsewhere" / "tok" / "tokenizer_config.json") << R"({"bos_token": "<s>", "eos_token": "<pad>"})";
  EXPECT_NE(cell_id(d, "b.toml"), id);

  // "auto" (the default) takes model.init_from's tokenizer.json: the trained cell's own.
  std::ofstream(d.path / "c.toml") << sweep("c", "model.init_from = \"a/cells/" + id + "/model\"");
  ProcessResult plan = d.longalign({"plan", (d.path / "c.toml").string(), "--json"});
  ASSERT_TRUE(plan.ok()) << plan.err;
  EXPECT_EQ(nlohmann::json::parse(plan.out)["cells"][0]["config"]["tokenizer"], fs::canonical(model).string());
}

// What a cell trains on, shown: the rendered example with its special tokens, targets marked.
TEST(CellTokenizer, PlanAndDataExportShowAnExampleAsTheCellTrainsOnIt) {
  test::ScratchDir d("cell-tokenizer-show");
  write_tokenizer(d.path / "tok");
  std::ofstream(d.path / "a.toml") << "name = \"a\"\n[config]\ntokenizer = \"tok\"\n"
                                      "[[data]]\nsource = \"synthetic-chat\"\nparams = { count = 4 }\n";
  ProcessResult plan = d.longalign({"plan", (d.path / "a.toml").string(), "--json", "--show-example", "2"});
  ASSERT_TRUE(plan.ok()) << plan.err;
  const nlohmann::json spans = nlohmann::json::parse(plan.out)["cells"][0]["example"];
  ASSERT_EQ(spans.size(), 2u) << spans.dump();  // the prompt, then the answer and its EOS
  EXPECT_FALSE(spans[0]["target"]);
  EXPECT_EQ(spans[0]["text"].get<std::string>().rfind("<s>[INST] ", 0), 0u) << spans.dump();
  EXPECT_TRUE(spans[1]["target"]);
  const std::string answer = spans[1]["text"];
  EXPECT_EQ(answer.substr(answer.size() - 4), "</s>") << spans.dump();

  ProcessResult text = d.longalign({"data", "export", "synthetic-chat", "--params", R"({"count": 4})", "--show-example", "2",
                                    "--tokenizer", (d.path / "tok").string()});
  ASSERT_TRUE(text.ok()) << text.err;
  EXPECT_NE(text.out.find("⟦" + answer + "⟧"), std::string::npos) << "the same example, the same tokens: " << text.out;

  ProcessResult past = d.longalign({"plan", (d.path / "a.toml").string(), "--show-example", "9"});
  EXPECT_EQ(past.exit_code, 2);
  EXPECT_NE(past.err.find("--show-example 9: cell "), std::string::npos) << past.err;
  EXPECT_NE(past.err.find(" has 4 examples"), std::string::npos) << past.err;
}

// chat_template = "auto" (the default) renders chats with the tokenizer directory's own
// template; the reply and its end-of-turn token are the targets. It needs no BOS (Qwen has
// none), a named built-in template still wins, and the template is pinned with the tokenizer.
TEST(CellTokenizer, TheTokenizersOwnChatTemplateRendersTheCellsChats) {
  test::ScratchDir d("cell-tokenizer-template");
  const std::string chatml =
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
      "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
  write_tokenizer(d.path / "tok", /*with_bos=*/false, chatml);
  std::ofstream(d.path / "a.toml") << "name = \"a\"\n[config]\ntokenizer = \"tok\"\n"
                                      "[[data]]\nsource = \"synthetic-chat\"\nparams = { count = 4 }\n";
  ProcessResult plan = d.longalign({"plan", (d.path / "a.toml").string(), "--json", "--show-example", "1"});
  ASSERT_TRUE(plan.ok()) << plan.err;
  const nlohmann::json cell = nlohmann::json::parse(plan.out)["cells"][0];
  EXPECT_EQ(cell["config"]["chat_template"], "auto");
  const nlohmann::json spans = cell["example"];
  ASSERT_EQ(spans.size(), 3u) << spans.dump();  // the prompt; the answer and <|im_end|>; the newline after it
  EXPECT_EQ(spans[0]["text"].get<std::string>().rfind("<|im_start|>user\n", 0), 0u) << spans.dump();
  const std::string prompt = spans[0]["text"];
  EXPECT_EQ(prompt.substr(prompt.size() - 22), "<|im_start|>assistant\n") << spans.dump();
  EXPECT_TRUE(spans[1]["target"]);
  const std::string answer = spans[1]["text"];
  EXPECT_EQ(answer.substr(answer.size() - 10), "<|im_end|>") << spans.dump();
  EXPECT_EQ(spans[2]["text"], "\n");
  EXPECT_FALSE(spans[2]["target"]);

  std::ofstream(d.path / "b.toml") << "name = \"a\"\n[config]\ntokenizer = \"tok\"\nchat_template = \"plain\"\n"
                                      "[[data]]\nsource = \"synthetic-chat\"\nparams = { count = 4 }\n";
  ProcessResult plain = d.longalign({"plan", (d.path / "b.toml").string()});
  EXPECT_EQ(plain.exit_code, 2) << "plain needs the BOS this tokenizer lacks";
  EXPECT_NE(plain.err.find("chat_template = \"auto\" uses the model's own"), std::string::npos) << plain.err;

  const std::string id = cell_id(d, "a.toml");
  std::ofstream(d.path / "tok" / "chat_template.jinja") << chatml << "{{ '' }}";  // preferred to tokenizer_config.json's
  EXPECT_NE(cell_id(d, "a.toml"), id) << "a cell's id changes with its chat template";

  std::ofstream(d.path / "tok" / "chat_template.jinja") << "{% for m in messages %}\n{{ m.content | wordcount }}{% endfor %}";
  ProcessResult bad = d.longalign({"plan", (d.path / "a.toml").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("key 'chat_template': the model's own template (auto): the chat template in "), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("chat_template.jinja: line 2 of the template: the filter 'wordcount' is not implemented"), std::string::npos) << bad.err;
}

TEST(CellTokenizer, AMissingOrUnfitTokenizerIsRefusedAtPlanTime) {
  test::ScratchDir d("cell-tokenizer-bad");
  std::ofstream(d.path / "a.toml") << sweep("a", "tokenizer = \"nowhere\"");
  ProcessResult bad = d.longalign({"plan", (d.path / "a.toml").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("a.toml:5:1: key 'tokenizer': "), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("nowhere holds no tokenizer.json"), std::string::npos) << bad.err;

  write_tokenizer(d.path / "no-bos", /*with_bos=*/false);
  std::ofstream(d.path / "b.toml") << sweep("b", "tokenizer = \"no-bos\"");
  bad = d.longalign({"plan", (d.path / "b.toml").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("key 'chat_template': the llama2 template begins and ends turns with BOS and EOS"), std::string::npos) << bad.err;

  fs::create_directories(d.path / "broken");
  std::ofstream(d.path / "broken" / "tokenizer.json") << R"({"model": {"type": "WordPiece"}})";
  std::ofstream(d.path / "c.toml") << sweep("c", "tokenizer = \"broken\"");
  bad = d.longalign({"plan", (d.path / "c.toml").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("broken/tokenizer.json at /model/type: only the BPE model is implemented"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace longalign::host
