// ruler-tasks: RULER's task families (ruler_tasks.h) as training data, so a sweep can ask whether
// training on one family transfers to another (train on some, evaluate all with `ruler`). Each
// example is the family's prompt, its length in characters drawn log-uniformly from [min_chars,
// max_chars], and its answers joined by ", " as the reply, in the order a reader meets them (the
// needles' and the chain's order in the text, the common words' first appearance, the frequent
// words' rank); the metadata holds the answers, how RULER scores them and what the case is made
// of. Deterministic for a seed.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>

#include "corpus.h"
#include "log_uniform.h"
#include "ruler_tasks.h"
#include "text_files.h"

namespace {

using longalign::Error;
using longalign::plugins::RulerTasks;

size_t characters(const std::string& prompt) { return prompt.size(); }

class RulerTasksSource : public longalign::DataSource {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("ruler-tasks", "1.0.0", "RULER's task families as training examples, with their answers")
        .param(longalign::Param::integer("count", 1000, "Examples in the stream").min(0))
        .param(longalign::Param::list("tasks", "[]",
                                      "Task families to draw from, uniformly (empty: all the inputs allow): niah_single_1..3, "
                                      "niah_multikey_1..3, niah_multivalue, niah_multiquery, vt, cwe, fwe, qa"))
        .param(longalign::Param::integer("min_chars", 1000, "Shortest prompt, in characters").min(1))
        .param(longalign::Param::integer("max_chars", 4000, "Longest prompt, in characters").min(1))
        .param(longalign::Param::list("haystack", "[]", "Text files for the essay haystacks").path())
        .param(longalign::plugins::sources_param())
        .param(longalign::Param::integer("max_file_bytes", 8 << 20, "Larger source files are skipped").min(1));
  }

  RulerTasksSource(const longalign::Params& p, const longalign::Host&)
      : count_(p.get_int("count")),
        min_chars_(static_cast<size_t>(p.get_int("min_chars"))),
        max_chars_(static_cast<size_t>(p.get_int("max_chars"))) {
    if (min_chars_ > max_chars_)
      throw Error(LA_ERR_INVALID_ARGUMENT, "min_chars (" + std::to_string(min_chars_) + ") is above max_chars (" +
                                               std::to_string(max_chars_) + ")");
    longalign::Value h = p.at("haystack"), t = p.at("tasks");
    std::string essay;
    for (size_t i = 0; i < h.size(); ++i) {
      try {
        essay += longalign::plugins::read_text_file(h[i].as_string(), 256 << 20) + "\n";
        files_.push_back(h[i].as_string());
      } catch (const std::exception& e) {
        throw Error(LA_ERR_INVALID_ARGUMENT, "haystack[" + std::to_string(i) + "]: " + e.what());
      }
    }
    if (p.at("sources").size() > 0) corpus_ = std::make_unique<longalign::plugins::Corpus>(p);
    maker_ = std::make_unique<RulerTasks>(longalign::plugins::RulerInputs{essay, corpus_.get()});
    for (size_t i = 0; i < t.size(); ++i) {
      const std::string task = t[i].as_string();
      if (std::string why = maker_->missing_input(task); !why.empty()) {
        std::string all;
        for (auto& f : RulerTasks::families()) all += (all.empty() ? "" : ", ") + f;
        throw Error(LA_ERR_INVALID_ARGUMENT, "tasks[" + std::to_string(i) + "]: task '" + task + "': " + why +
                                                 (why == "no such task" ? " (" + all + ")" : ""));
      }
      tasks_.push_back(task);
    }
    if (tasks_.empty())
      for (auto& f : RulerTasks::families())
        if (maker_->missing_input(f).empty()) tasks_.push_back(f);
    for (auto& task : tasks_) {  // the shortest prompts must fit, or the stream would fail midway
      longalign::Rng probe(0);
      try {
        maker_->make(task, min_chars_, probe, characters);
      } catch (const longalign::plugins::RulerLengthTooShort& e) {
        throw Error(LA_ERR_INVALID_ARGUMENT, "min_chars = " + std::to_string(min_chars_) + ": too short: " + e.what() + " characters");
      }
    }
  }

  void open(uint64_t seed) override {
    rng_ = longalign::Rng(seed);
    made_ = 0;
  }

  int64_t count() override { return count_; }

  bool next(longalign::Example& out) override {
    if (made_ >= count_) return false;
    ++made_;
    const std::string task = tasks_[rng_.below(tasks_.size())];
    const size_t chars = longalign::plugins::log_uniform_length(rng_, min_chars_, max_chars_);
    longalign::plugins::RulerCase c;
    try {
      c = maker_->make(task, chars, rng_, characters);
    } catch (const longalign::plugins::RulerLengthTooShort& e) {  // a draw with longer keys than the probe's
      throw Error(LA_ERR_INVALID_ARGUMENT, "min_chars = " + std::to_string(min_chars_) + ": too short for some of the cases: " +
                                               e.what() + " characters");
    }
    std::string answer;
    for (auto& a : c.answers) answer += (answer.empty() ? "" : ", ") + a;
    out.messages = {{"user", c.prompt}, {"assistant", answer}};
    out.source = "ruler";
    out.task = c.task;
    nlohmann::json meta = c.details;
    meta["answers"] = c.answers;
    meta["scoring"] = c.all ? "string_match_all" : "string_match_part";
    meta["answer"] = answer;
    meta["match"] = "exact";
    meta["chars"] = c.prompt.size();
    out.metadata_json = meta.dump();
    return true;
  }

  std::string provenance() override {
    if (corpus_) {
      nlohmann::json j = nlohmann::json::parse(corpus_->provenance_json());
      for (auto& f : files_) j["files"].push_back(f);
      return j.dump();
    }
    return files_.empty() ? "" : nlohmann::json{{"files", files_}}.dump();
  }

 private:
  int64_t count_;
  size_t min_chars_, max_chars_;
  std::vector<std::string> files_;
  std::unique_ptr<longalign::plugins::Corpus> corpus_;
  std::vector<std::string> tasks_;
  std::unique_ptr<RulerTasks> maker_;
  longalign::Rng rng_{0};
  int64_t made_ = 0;
};

}  // namespace

LONGALIGN_PLUGIN(RulerTasksSource)
