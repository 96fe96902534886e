// RULER's task families (Hsieh et al., 2024: "What's the real context size of your long-context
// language models?"), made at any length from a haystack of our own: needles in noise, in text
// or among other needles (single, multi-key, multi-value, multi-query), variable tracking,
// common- and frequent-words extraction, and QA over a document set. The `ruler` evaluator asks
// them of a model; the `ruler-tasks` data source trains on them. Each case's answers are known by
// construction and scored as RULER scores them.
#pragma once
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace longalign::plugins {

class Corpus;

struct RulerCase {
  std::string task;                  // the family, e.g. "niah_multikey_2"
  std::string prompt;                // the user's message: instruction, context, question
  std::vector<std::string> answers;  // what a right reply contains
  bool all = true;                   // scored by string_match_all (else string_match_part)
  nlohmann::json details = nlohmann::json::object();  // keys, values, depths, chains, counts
};

// What make() throws when even the shortest haystack does not fit the length.
struct RulerLengthTooShort : Error {
  using Error::Error;
};

// RULER's scores, case-insensitive: string_match_all is the share of the answers the reply
// contains, string_match_part 1 when it contains any.
double ruler_score(const std::string& reply, const std::vector<std::string>& answers, bool all);

// What the families are made from: text for the essay haystacks, documents for qa.
struct RulerInputs {
  std::string essay;            // empty: the families that need it are refused
  Corpus* documents = nullptr;  // null: qa is refused
};

class RulerTasks {
 public:
  // The families, in RULER's order (qa last: ours asks which document holds a word).
  static const std::vector<std::string>& families();
  static bool is_family(const std::string& task);
  // The words of text for the essay haystacks, without lines that read as needles or
  // assignments (an essay made of these tasks' own examples would otherwise answer for them).
  static std::vector<std::string> essay_words(const std::string& essay);
  // The reply length RULER allows the family, in tokens.
  static uint32_t tokens_to_generate(const std::string& task);

  explicit RulerTasks(const RulerInputs& inputs);

  // Why `task` cannot be made from these inputs ("" when it can); throws nothing.
  std::string missing_input(const std::string& task) const;

  // A case of `task` whose prompt measures at most `length` by `measure` (the caller's unit:
  // tokens or characters), the haystack as long as fits. Keys, values, depths and words are drawn
  // from rng first, so the haystack's search changes none of them (qa excepted: its documents and
  // word come with the text's length). Throws RulerLengthTooShort ("task 'T': its shortest prompt
  // measures M, above L") when even the shortest haystack does not fit, longalign::Error when the
  // inputs lack what the family needs.
  RulerCase make(const std::string& task, size_t length, Rng& rng, const std::function<size_t(const std::string&)>& measure) const;

 private:
  Corpus* documents_;
  std::vector<std::string> essay_words_;
};

}  // namespace longalign::plugins
