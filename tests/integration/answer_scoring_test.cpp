// Scoring against a model service whose every answer is known. task-accuracy: exact, contains
// and numeric matches, the graded char_match, per task and length bucket, and remove_document
// asking the question alone. needle: accuracy and char_match of replies read from the prompt,
// and the NoLiMa variant's questions sharing no word with their needles.
#include <gtest/gtest.h>

#include <longalign/plugin.hpp>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "fixed_model.h"

namespace longalign::host {
namespace {

Example chat(const std::string& question, const std::string& answer, const std::string& task, const std::string& match) {
  Example e;
  e.messages = {{"user", "Some long document.\n\n" + question}, {"assistant", answer}};
  e.task = task;
  e.metadata_json = nlohmann::json{{"answer", answer}, {"match", match}}.dump();
  return e;
}

TEST(TaskAccuracy, ExactContainsNumericAndCharMatch) {
  FixedModel model("12399");
  std::vector<Example> ex = {chat("Key?", "12345", "passkey", "exact"),          // 3 of 5 characters in place
                             chat("Key?", "12399", "passkey", "exact"),          // right
                             chat("Count?", "12399.0", "count", "numeric"),      // the same number
                             chat("Which?", "239", "extract", "contains")};      // inside the reply
  auto m = run(model, ex, {{"max_new_tokens", 8}});
  EXPECT_DOUBLE_EQ(m["accuracy"], 0.75);
  EXPECT_DOUBLE_EQ(m["accuracy{task=passkey}"], 0.5);
  EXPECT_DOUBLE_EQ(m["accuracy{task=count}"], 1.0);
  EXPECT_DOUBLE_EQ(m["accuracy{task=extract}"], 1.0);
  EXPECT_DOUBLE_EQ(m["char_match"], (0.6 + 1.0 + 5.0 / 7.0 + 0.0) / 4);  // "239" vs "12399": no character in place
  EXPECT_DOUBLE_EQ(m["examples{length=<=256}"], 4);
}

TEST(TaskAccuracy, RemoveDocumentAsksTheQuestionAlone) {
  FixedModel model("x");
  run(model, {chat("What is the pass key?", "1", "passkey", "exact")}, {{"remove_document", true}});
  EXPECT_EQ(model.last_prompt, "What is the pass key?");
  run(model, {chat("What is the pass key?", "1", "passkey", "exact")}, nlohmann::json::object());
  EXPECT_EQ(model.last_prompt, "Some long document.\n\nWhat is the pass key?");
}

// A reader that finds the pass key in its prompt; `keep` of its 5 digits, the rest 'x'.
std::string read_key(const std::string& prompt, size_t keep) {
  const std::string mark = "The pass key is ";
  const size_t at = prompt.find(mark);
  if (at == std::string::npos) return "I do not know.";
  return prompt.substr(at + mark.size(), keep) + std::string(5 - keep, 'x');
}

TEST(Needle, ScoresRepliesExactlyAndGraded) {
  const nlohmann::json params = {{"lengths", {300, 600}}, {"depths", {0.0, 0.5, 1.0}}, {"max_new_tokens", 8}};
  std::vector<Example> hay(1);
  hay[0].text = std::string(2000, ' ') + "Plain words of a haystack, with no digits in them at all.";
  FixedModel model("");
  model.reply = [](const std::string& p) { return read_key(p, 5); };
  auto m = run(model, hay, params, "needle");
  EXPECT_DOUBLE_EQ(m["accuracy"], 1.0);
  EXPECT_DOUBLE_EQ(m["char_match"], 1.0);
  EXPECT_DOUBLE_EQ(m["char_match{length=600}"], 1.0);
  model.reply = [](const std::string& p) { return read_key(p, 3); };
  m = run(model, hay, params, "needle");
  EXPECT_DOUBLE_EQ(m["accuracy"], 0.0);
  EXPECT_DOUBLE_EQ(m["char_match"], 0.6);
  auto without = params;
  without["without_needle"] = true;
  m = run(model, hay, without, "needle");
  EXPECT_DOUBLE_EQ(m["accuracy"], 0.0);
  EXPECT_DOUBLE_EQ(m["char_match"], 0.0);  // "I do not know." has no character of a key in place
}

TEST(Needle, TheNoLiMaVariantsQuestionSharesNoWordWithItsNeedle) {
  const nlohmann::json params = {{"lengths", {400, 600, 800}}, {"max_new_tokens", 8}, {"variant", "nolima"}};  // 10 depths each
  std::vector<Example> hay(1);
  hay[0].text = std::string(2000, ' ') + "Plain words of a haystack, with no names in them at all.";
  FixedModel model("");
  size_t asked = 0;
  auto words = [](const std::string& s) {  // lower-case words of 3 letters or more, but "the"
    std::set<std::string> out;
    const std::regex word("[A-Za-z]{3,}");
    for (auto it = std::sregex_iterator(s.begin(), s.end(), word); it != std::sregex_iterator(); ++it) {
      std::string w = it->str();
      std::transform(w.begin(), w.end(), w.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
      if (w != "the") out.insert(w);
    }
    return out;
  };
  // A reader that knows the association finds the name: the needle is the only sentence that
  // says who lives next to what.
  std::vector<std::string> associations;  // as each prompt states them: "LANDMARK is in CITY"
  model.reply = [&](const std::string& p) {
    std::smatch needle, question;
    if (!std::regex_search(p, needle, std::regex("Actually, (\\w+) lives next to ([^.]+)\\."))) return std::string("I do not know.");
    EXPECT_TRUE(std::regex_search(p, question, std::regex("Which character has been to ([^?]+)\\? Answer with the name only\\.$"))) << p;
    associations.push_back(needle[2].str() + " is in " + question[1].str());
    std::set<std::string> shared;
    for (auto& w : words(needle.str()))
      if (words(question.str()).count(w)) shared.insert(w);
    EXPECT_TRUE(shared.empty()) << needle.str() << " / " << question.str();
    ++asked;
    return needle[1].str();
  };
  std::map<std::string, std::string> files;
  auto m = run(model, hay, params, "needle", &files);
  EXPECT_EQ(asked, 30u);
  EXPECT_DOUBLE_EQ(m["accuracy"], 1.0);
  // needle.csv states each case's association, the landmark of its needle in the city it asks about.
  std::istringstream csv(files["needle.csv"]);
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "length,depth,prompt_tokens,correct,char_match,reply,association");
  for (size_t i = 0; std::getline(csv, line); ++i) {
    ASSERT_LT(i, associations.size());
    EXPECT_EQ(line.substr(line.rfind(',') + 1), associations[i]);
  }
  auto without = params;
  without["without_needle"] = true;
  m = run(model, hay, without, "needle");
  EXPECT_DOUBLE_EQ(m["accuracy"], 0.0);
  try {
    run(model, hay, {{"variant", "nolima"}, {"needle", "A fact."}, {"answer", "fact"}}, "needle");
    ADD_FAILURE() << "a custom needle with nolima";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("variant: nolima makes its own needles; leave needle empty"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace longalign::host
