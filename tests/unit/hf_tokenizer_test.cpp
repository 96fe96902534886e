// tokenizer.json on small hand-made files: merge order, added tokens, decoding, and refusals
// that name the file and the JSON path. (Real files against transformers.js:
// tests/tokenizers/reference_test.cpp.)
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "text/hf/components.h"
#include "text/chat_template.h"
#include "text/hf_tokenizer.h"

namespace longalign::host {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A byte-level BPE over the letters a, b and the space, with merges "a a" before "a b".
json byte_level_bpe() {
  const std::string space = hf::byte_to_unicode(' ');  // "Ġ"
  return {{"model",
           {{"type", "BPE"},
            {"vocab", {{"a", 0}, {"b", 1}, {space, 2}, {"aa", 3}, {"ab", 4}, {space + "a", 5}}},
            {"merges", {"a a", "a b", space + " a"}}}},
          {"added_tokens", {{{"id", 6}, {"content", "<|end|>"}, {"special", true}}}},
          {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
          {"decoder", {{"type", "ByteLevel"}}},
          {"post_processor", nullptr},
          {"normalizer", nullptr}};
}

class TokenizerFile : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("hf-tokenizer-test-" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
  void write(const json& j) { std::ofstream(dir / "tokenizer.json") << j.dump(); }
  std::string refusal(const json& j) {
    write(j);
    try {
      HfTokenizer t(dir);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  }
};

std::vector<uint32_t> encode(const HfTokenizer& t, std::string_view text) {
  std::vector<uint32_t> ids;
  t.encode(text, ids);
  return ids;
}

TEST_F(TokenizerFile, MergesApplyLowestRankFirstAndLeftmostAmongEquals) {
  write(byte_level_bpe());
  HfTokenizer t(dir);
  EXPECT_EQ(encode(t, "aaa"), (std::vector<uint32_t>{3, 0}));  // aa a, never a aa
  EXPECT_EQ(encode(t, "aab"), (std::vector<uint32_t>{3, 1}));  // "a a" outranks "a b"
  EXPECT_EQ(encode(t, "ab a"), (std::vector<uint32_t>{4, 5}));
  EXPECT_EQ(encode(t, "a<|end|>b"), (std::vector<uint32_t>{0, 6, 1}));  // the added token is never split
  EXPECT_EQ(t.decode({4, 5, 6}, false), "ab a<|end|>");
  EXPECT_EQ(t.decode({4, 5, 6}, true), "ab a");
}

// A template's text between special tokens is tokenized whole: the space before an answer joins
// its first letter ("Ġa"), and that token is the answer's, a target; a prompt for generation
// ends before it, as the prompts in training did.
TEST_F(TokenizerFile, ChatTemplatesTokenizeTurnsWholeAndTheJoiningTokenIsATarget) {
  json j = byte_level_bpe();
  j["added_tokens"].push_back({{"id", 7}, {"content", "<s>"}, {"special", true}});
  const std::string space = hf::byte_to_unicode(' ');
  j["model"]["vocab"]["A"] = 8;  // what a prompt's probe reply is made of
  j["model"]["vocab"][space + "A"] = 9;
  j["model"]["merges"].push_back(space + " A");
  write(j);
  std::ofstream(dir / "tokenizer_config.json") << R"({"bos_token": "<s>", "eos_token": "<|end|>"})";
  HfTokenizer t(dir);
  Example e;
  e.messages = {{"user", "b"}, {"assistant", "a"}};
  const Tokenized r = make_chat_template("llama2")->render(e, t);
  std::vector<uint32_t> prompt_ids;
  t.encode("[INST] b [/INST]", prompt_ids);
  std::vector<uint32_t> want = {7};
  want.insert(want.end(), prompt_ids.begin(), prompt_ids.end());
  want.insert(want.end(), {5, 6});  // "Ġa" <|end|>
  EXPECT_EQ(r.ids, want);
  std::vector<uint8_t> targets(want.size(), 0);
  std::fill(targets.end() - 2, targets.end(), 1);
  EXPECT_EQ(r.target, targets);
  std::vector<uint32_t> prompt = {7};
  prompt.insert(prompt.end(), prompt_ids.begin(), prompt_ids.end());
  EXPECT_EQ(make_chat_template("llama2")->prompt({{"user", "b"}}, t), prompt);
}

TEST_F(TokenizerFile, RefusesWhatItDoesNotImplementByFileAndJsonPath) {
  json j = byte_level_bpe();
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "ByteLevel"}}, {{"type", "Whitespace"}}}}};
  std::string why = refusal(j);
  EXPECT_NE(why.find("tokenizer.json at /pre_tokenizer/pretokenizers/1/type"), std::string::npos) << why;
  EXPECT_NE(why.find("'Whitespace' is not implemented (implemented: Split, ByteLevel, Sequence)"), std::string::npos) << why;

  j = byte_level_bpe();
  j["model"]["merges"].push_back("b b");
  why = refusal(j);
  EXPECT_NE(why.find("at /model/merges/3: the merge of 'b' and 'b' names a token outside the vocabulary"), std::string::npos) << why;

  j = byte_level_bpe();
  j["model"]["type"] = "Unigram";
  EXPECT_NE(refusal(j).find("at /model/type: only the BPE model is implemented"), std::string::npos);

  j = byte_level_bpe();
  j["decoder"] = {{"type", "Sequence"}, {"decoders", {{{"type", "Fuse"}}, {{"type", "WordPiece"}}}}};
  EXPECT_NE(refusal(j).find("at /decoder/decoders/1/type: the decoder type 'WordPiece'"), std::string::npos);

  j = byte_level_bpe();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  EXPECT_NE(refusal(j).find("at /pre_tokenizer/pattern: pattern (unclosed: missing closing parenthesis"), std::string::npos);

  j = byte_level_bpe();
  j["added_tokens"][0]["id"] = -1;
  EXPECT_NE(refusal(j).find("at /added_tokens/0/id: expected a token id"), std::string::npos);

  j = byte_level_bpe();
  j["added_tokens"][0]["normalized"] = true;
  j["normalizer"] = {{"type", "NFC"}};
  EXPECT_NE(refusal(j).find("at /added_tokens/0/normalized: an added token matched after normalization is not implemented"),
            std::string::npos);
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array()}};  // no normalization: nothing to refuse
  EXPECT_EQ(refusal(j), "");

  std::ofstream(dir / "tokenizer.json") << "{\"model\": ";
  EXPECT_THROW(HfTokenizer{dir}, hf::TokenizerFileError);  // cut short: not JSON
}

}  // namespace
}  // namespace longalign::host
