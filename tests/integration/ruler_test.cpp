// ruler (evaluator) and ruler-tasks (data source). The answers each family states are checked
// against a reader written here, which knows nothing of the generator: it finds the needles,
// follows the chain, counts the words, looks the word up in the documents. A model answering as
// that reader scores 1 on every family, one reading another case's prompt scores near 0, a
// reply with half of the answers scores half; prompts fill each length in the model's tokens.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "fixed_model.h"

namespace longalign::host {
namespace {

const std::vector<std::string> kFamilies = {"niah_single_1", "niah_single_2", "niah_single_3", "niah_multikey_1",
                                            "niah_multikey_2", "niah_multikey_3", "niah_multivalue", "niah_multiquery",
                                            "vt", "cwe", "fwe", "qa"};

std::vector<std::string> all_matches(const std::string& text, const std::regex& re, int group = 1) {
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[group].str());
  return out;
}

// The n words seen most often, most frequent first, or (in_text_order) in the order they first
// appear.
std::vector<std::string> most_frequent(const std::vector<std::string>& words, size_t n, bool in_text_order = false) {
  std::map<std::string, size_t> count, first;
  for (size_t i = 0; i < words.size(); ++i) ++count[words[i]], first.emplace(words[i], i);
  std::vector<std::pair<size_t, std::string>> ranked;
  for (auto& [w, c] : count) ranked.push_back({c, w});
  std::sort(ranked.begin(), ranked.end(), [](auto& a, auto& b) { return a.first > b.first; });
  if (ranked.size() > n) ranked.resize(n);
  if (in_text_order) std::sort(ranked.begin(), ranked.end(), [&](auto& a, auto& b) { return first[a.second] < first[b.second]; });
  std::vector<std::string> out;
  for (auto& [c, w] : ranked) out.push_back(w);
  return out;
}

// What a careful reader answers, from the prompt alone.
std::vector<std::string> read_answers(const std::string& prompt) {
  std::smatch m;
  if (prompt.rfind("Some special magic", 0) == 0) {  // the queried keys' values, in the text's order
    std::regex_search(prompt, m, std::regex("special magic \\w+ for (.+) mentioned in the provided text\\?$"));
    const std::vector<std::string> keys = all_matches(m[1].str(), std::regex("([^ ,]+)(, | and |$)"));
    std::vector<std::string> values;
    const std::regex needle("for ([a-z0-9-]+) is: ([^ ]+)\\.");
    for (auto it = std::sregex_iterator(prompt.begin(), prompt.end(), needle); it != std::sregex_iterator(); ++it)
      if (std::find(keys.begin(), keys.end(), (*it)[1].str()) != keys.end()) values.push_back((*it)[2].str());
    return values;
  }
  if (prompt.rfind("Memorize and track", 0) == 0) {
    std::regex_search(prompt, m, std::regex("assigned the value (\\d+) in the text above"));
    const std::string value = m[1].str();
    std::vector<std::pair<std::string, std::string>> assignments;
    const std::regex line("VAR ([A-Z]+) = ([^.]+)\\.");
    for (auto it = std::sregex_iterator(prompt.begin(), prompt.end(), line); it != std::sregex_iterator(); ++it)
      assignments.push_back({(*it)[1].str(), (*it)[2].str()});
    std::vector<std::string> holding;
    for (bool grew = true; grew;) {
      grew = false;
      for (auto& [var, rhs] : assignments) {
        const bool holds = rhs == value || (rhs.rfind("VAR ", 0) == 0 &&
                                            std::find(holding.begin(), holding.end(), rhs.substr(4)) != holding.end());
        if (holds && std::find(holding.begin(), holding.end(), var) == holding.end()) holding.push_back(var), grew = true;
      }
    }
    return holding;
  }
  const std::string body = prompt.substr(prompt.find('\n') + 1, prompt.rfind("\nQuestion:") - prompt.find('\n') - 1);
  if (prompt.rfind("Below is a numbered list", 0) == 0) return most_frequent(all_matches(body, std::regex("\\d+\\. ([a-z]+)")), 10, true);
  if (prompt.rfind("Read the following coded text", 0) == 0) return most_frequent(all_matches(body, std::regex("([a-z]+)")), 3);
  // qa: the documents run from the list's heading to the instruction repeated after them.
  const size_t from = prompt.find("The following are given documents.");
  if (from == std::string::npos) return {};
  const std::string docs = prompt.substr(from, prompt.rfind("\n\nAnswer the question") - from);
  const auto whole_word = [](const std::string& w) { return std::regex("(^|[^A-Za-z0-9_])" + w + "([^A-Za-z0-9_]|$)"); };
  if (std::regex_search(prompt, m, std::regex("Which document mentions the word \"([^\"]+)\"\\?"))) {
    const std::regex word = whole_word(m[1].str()), heading("\n(Document \\d+: [^\n]+)\n");
    std::string found;
    for (auto it = std::sregex_iterator(docs.begin(), docs.end(), heading); it != std::sregex_iterator(); ++it) {
      const size_t start = static_cast<size_t>(it->position(0) + it->length(0));
      const size_t end = docs.find("\n\nDocument ", start);
      if (std::regex_search(docs.substr(start, end == std::string::npos ? std::string::npos : end - start), word)) found = (*it)[1].str();
    }
    return {found};
  }
  if (std::regex_search(prompt, m, std::regex("contains the word \"([^\"]+)\""))) {  // a fallback: quote its line
    const std::regex word = whole_word(m[1].str());
    for (size_t at = 0; at < docs.size();) {
      size_t nl = docs.find('\n', at);
      if (nl == std::string::npos) nl = docs.size();
      const std::string line = docs.substr(at, nl - at);
      if (line.rfind("Document ", 0) != 0 && std::regex_search(line, word)) return {line};
      at = nl + 1;
    }
  }
  if (std::regex_search(prompt, m, std::regex("The pass key is (\\d+)"))) return {m[1].str()};
  return {};
}

std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

nlohmann::json inputs() {
  return {{"haystack", {std::string(LONGALIGN_SOURCE_DIR) + "/README.md"}},
          {"sources", {{"code", std::string(LONGALIGN_SOURCE_DIR) + "/plugins/*/*.cpp"}}}};
}

std::vector<Example> read_all(DataSourceInstance& src, uint64_t seed) {
  src.open(seed);
  std::vector<Example> out;
  Example e;
  while (src.next(e)) out.push_back(e);
  return out;
}

TEST(RulerTasks, EveryFamilysAnswersAreWhatAReaderOfThePromptFinds) {
  nlohmann::json params = inputs();
  params["count"] = 144;
  params["min_chars"] = 700;
  params["max_chars"] = 6000;
  DataSourceInstance src(PluginLibrary::load(test::kBundled / "ruler-tasks.so"), params);
  const std::vector<Example> examples = read_all(src, 7);
  ASSERT_EQ(examples.size(), 144u);
  std::map<std::string, size_t> per_family;
  for (auto& e : examples) {
    ++per_family[e.task];
    const nlohmann::json meta = nlohmann::json::parse(e.metadata_json);
    const std::vector<std::string> stated = meta["answers"], read = read_answers(e.messages[0].content);
    EXPECT_EQ(read, stated) << e.task << ":\n" << e.messages[0].content;  // in the order a reader meets them
    EXPECT_EQ(e.messages[1].content, joined(meta["answers"]));
    EXPECT_LE(e.messages[0].content.size(), 6000u);
    EXPECT_EQ(meta["scoring"], e.task == "qa" ? "string_match_part" : "string_match_all");
  }
  for (auto& f : kFamilies) EXPECT_GE(per_family[f], 4u) << f;
  EXPECT_EQ(per_family.size(), kFamilies.size());

  // The same seed, the same stream; another, another.
  const std::vector<Example> again = read_all(src, 7), other = read_all(src, 8);
  for (size_t i = 0; i < examples.size(); ++i) EXPECT_EQ(again[i].messages[0].content, examples[i].messages[0].content) << i;
  size_t same = 0;
  for (size_t i = 0; i < examples.size(); ++i) same += other[i].messages[0].content == examples[i].messages[0].content;
  EXPECT_EQ(same, 0u);
}

TEST(RulerTasks, RefusesWhatItCannotMake) {
  auto error_of = [](const nlohmann::json& params) {
    try {
      DataSourceInstance src(PluginLibrary::load(test::kBundled / "ruler-tasks.so"), params);
      read_all(src, 0);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of({{"tasks", {"niah_single_9"}}}).find("tasks[0]: task 'niah_single_9': no such task (niah_single_1, "), std::string::npos);
  EXPECT_NE(error_of({{"tasks", {"vt", "niah_single_2"}}}).find("tasks[1]: task 'niah_single_2': its haystack is text"), std::string::npos);
  EXPECT_NE(error_of({{"tasks", {"qa"}}}).find("tasks[0]: task 'qa': it asks about documents: name them in sources"), std::string::npos);
  EXPECT_NE(error_of({{"tasks", {"vt"}}, {"min_chars", 50}, {"max_chars", 50}})
                .find("min_chars = 50: too short: task 'vt': its shortest prompt measures "),
            std::string::npos);
}

// cwe takes RULER's 30 and 3 repeats where 10 uncommon words fit beside them, else 2 and 1.
TEST(RulerTasks, CommonWordsTakeRulersFrequenciesWhereTheyFit) {
  for (auto [chars, common] : {std::pair{5000, 30}, std::pair{1000, 2}}) {
    DataSourceInstance src(PluginLibrary::load(test::kBundled / "ruler-tasks.so"),
                           {{"tasks", {"cwe"}}, {"min_chars", chars}, {"max_chars", chars}, {"count", 3}});
    for (auto& e : read_all(src, 1)) {
      const auto meta = nlohmann::json::parse(e.metadata_json);
      EXPECT_EQ(meta["common_frequency"], common) << chars;
      const std::string& prompt = e.messages[0].content;
      const std::vector<std::string> answers = meta["answers"];
      EXPECT_EQ(read_answers(prompt), answers);
      const std::vector<std::string> listed = all_matches(prompt, std::regex("\\d+\\. ([a-z]+)"));
      EXPECT_EQ(std::count(listed.begin(), listed.end(), answers[0]), common) << answers[0];
      EXPECT_LE(prompt.size(), static_cast<size_t>(chars));
    }
  }
}

TEST(Ruler, AReaderOfThePromptScoresOneAndAReaderOfAnotherNearZero) {
  nlohmann::json params = inputs();
  params["lengths"] = {900, 2000};
  params["samples"] = 3;
  FixedModel model("");
  std::vector<std::string> prompts;
  model.reply = [&](const std::string& p) {
    prompts.push_back(p);
    return joined(read_answers(p));
  };
  auto m = run(model, {}, params, "ruler");
  EXPECT_EQ(m["cases"], 72);
  EXPECT_DOUBLE_EQ(m["score"], 1.0);
  for (auto& f : kFamilies) {
    EXPECT_DOUBLE_EQ(m["score{task=" + f + "}"], 1.0) << f;
    EXPECT_DOUBLE_EQ(m["score{task=" + f + "}{length=2000}"], 1.0) << f;
  }
  EXPECT_DOUBLE_EQ(m["score{length=900}"], 1.0);
  // Each prompt fills its length, RULER's reply budget set aside: 72 prompts, 3 per task and
  // length, in the order of the tasks and then the lengths.
  ASSERT_EQ(prompts.size(), 72u);
  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::string& task = kFamilies[i / 6];
    const size_t budget = task == "vt" ? 30 : task == "cwe" ? 120 : task == "fwe" ? 50 : task == "qa" ? 32 : 128;
    const size_t room = (i % 6 < 3 ? 900 : 2000) - budget;
    EXPECT_LE(prompts[i].size(), room) << task;
    EXPECT_GE(prompts[i].size(), room * 85 / 100) << task << ": " << prompts[i].size() << " of " << room;
  }

  // Answers read from the case before: chance.
  std::string previous;
  model.reply = [&](const std::string& p) {
    const std::string reply = joined(read_answers(previous));
    previous = p;
    return reply;
  };
  m = run(model, {}, params, "ruler");
  EXPECT_LE(m["score"], 0.05);

  // Half the values of niah_multivalue, in capitals: half the score (string_match_all ignores case).
  params["tasks"] = {"niah_multivalue", "cwe"};
  params["haystack"] = inputs()["haystack"];
  model.reply = [&](const std::string& p) {
    std::vector<std::string> a = read_answers(p);
    if (p.rfind("Some special magic", 0) == 0) a.resize(2);
    std::string r = joined(a);
    std::transform(r.begin(), r.end(), r.begin(), [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); });
    return r;
  };
  m = run(model, {}, params, "ruler");
  EXPECT_DOUBLE_EQ(m["score{task=niah_multivalue}"], 0.5);
  EXPECT_DOUBLE_EQ(m["score{task=cwe}"], 1.0);
}

TEST(Ruler, TheEssayHaystackIsTheEvaluationsExamplesWhereNoFileIsNamed) {
  FixedModel model("");
  model.reply = [](const std::string& p) { return joined(read_answers(p)); };
  std::vector<Example> data(1);
  data[0].messages = {{"user", "A plain haystack sentence, with words in it. Another one follows it! And a third, asking "
                                "whether a fourth will come?"},
                       {"assistant", "ok"}};
  const nlohmann::json params = {{"lengths", {1000}}, {"samples", 2}, {"tasks", {"niah_single_2"}}};
  auto m = run(model, data, params, "ruler");
  EXPECT_DOUBLE_EQ(m["score"], 1.0);
  EXPECT_NE(model.last_prompt.find("Another one follows it!"), std::string::npos);
  try {
    run(model, {}, params, "ruler");
    ADD_FAILURE() << "an essay task without text";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("task 'niah_single_2': its haystack is text"), std::string::npos) << e.what();
  }
  try {
    run(model, data, {{"lengths", {1000, 300}}, {"tasks", {"niah_single_2"}}}, "ruler");
    ADD_FAILURE() << "a length too short for the task";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("lengths[1] = 300: too short: task 'niah_single_2': its shortest prompt measures "),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace longalign::host
