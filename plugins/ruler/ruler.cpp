// ruler: RULER's task families (ruler_tasks.h) asked of the model at each length, every prompt as
// long as fits the length in the model's own tokens with RULER's reply budget on top, and scored
// as RULER scores them (the share of answers a reply contains; any, for qa). The essay haystack
// is text the user names (haystack files), else the evaluation's examples; qa's documents come
// from `sources`. Scores per task and length, per task, per length and overall; every case's
// answers and reply in ruler.csv. Deterministic for a seed.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "corpus.h"
#include "ruler_tasks.h"
#include "text_files.h"

namespace {

using longalign::Error;
using longalign::plugins::RulerCase;
using longalign::plugins::RulerTasks;

class Ruler : public longalign::Evaluator {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("ruler", "1.0.0",
                             "RULER's tasks (needles, variable tracking, common and frequent words, document QA) at each "
                             "length, string-match scored")
        .param(longalign::Param::list("lengths", "[]", "Lengths in tokens, reply budget included (empty: 1/8, 1/4, 1/2 and all of the model's context, those with room for a task's prompt and twice its reply)"))
        .param(longalign::Param::list("tasks", "[]",
                                      "Task families (empty: all the inputs allow): niah_single_1..3, niah_multikey_1..3, "
                                      "niah_multivalue, niah_multiquery, vt, cwe, fwe, qa"))
        .param(longalign::Param::integer("samples", 8, "Cases per task and length").range(1, 100000))
        .param(longalign::Param::list("haystack", "[]", "Text files for the essay haystacks (empty: the evaluation's examples)").path())
        .param(longalign::plugins::sources_param())
        .param(longalign::Param::integer("max_file_bytes", 8 << 20, "Larger source files are skipped").min(1))
        .param(longalign::Param::integer("max_new_tokens", 0, "Longest reply (0: RULER's per task: 128 for needles, 30 vt, 120 cwe, 50 fwe, 32 qa)")
                   .range(0, 4096))
        .param(longalign::Param::integer("seed", 0, "Picks keys, values, depths and words").min(0));
  }

  Ruler(const longalign::Params& p, const longalign::Host& host)
      : host_(host),
        samples_(static_cast<size_t>(p.get_int("samples"))),
        max_new_(static_cast<uint32_t>(p.get_int("max_new_tokens"))),
        seed_(static_cast<uint64_t>(p.get_int("seed"))) {
    longalign::Value l = p.at("lengths"), t = p.at("tasks"), h = p.at("haystack");
    for (size_t i = 0; i < l.size(); ++i) {
      if (l[i].as_int() < 1) throw Error(LA_ERR_INVALID_ARGUMENT, "lengths[" + std::to_string(i) + "]: not a positive length");
      lengths_.push_back(static_cast<uint32_t>(l[i].as_int()));
    }
    for (size_t i = 0; i < t.size(); ++i) {
      const std::string task = t[i].as_string();
      if (!RulerTasks::is_family(task)) {
        std::string all;
        for (auto& f : RulerTasks::families()) all += (all.empty() ? "" : ", ") + f;
        throw Error(LA_ERR_INVALID_ARGUMENT, "tasks[" + std::to_string(i) + "]: unknown task '" + task + "' (" + all + ")");
      }
      tasks_.push_back(task);
    }
    for (size_t i = 0; i < h.size(); ++i) {
      try {
        essay_ += longalign::plugins::read_text_file(h[i].as_string(), 256 << 20) + "\n";
      } catch (const std::exception& e) {
        throw Error(LA_ERR_INVALID_ARGUMENT, "haystack[" + std::to_string(i) + "]: " + e.what());
      }
    }
    if (p.at("sources").size() > 0) corpus_ = std::make_unique<longalign::plugins::Corpus>(p);
  }

  void evaluate(const longalign::EvalSink& sink) override {
    longalign::plugins::RulerInputs inputs{essay_, corpus_.get()};
    if (inputs.essay.empty())
      for (auto& e : sink.examples()) {
        for (auto& m : e.messages)
          if (m.role == "user") inputs.essay += m.content + "\n";
        if (e.messages.empty()) inputs.essay += e.text + "\n";
      }
    const RulerTasks maker(inputs);
    std::vector<std::string> tasks = tasks_;
    if (tasks.empty())
      for (auto& f : RulerTasks::families())
        if (maker.missing_input(f).empty()) tasks.push_back(f);
    for (auto& task : tasks)
      if (std::string why = maker.missing_input(task); !why.empty())
        throw Error(LA_ERR_INVALID_ARGUMENT, "task '" + task + "': " + why +
                                                 (why.find("haystack") == std::string::npos ? "" : ", or give the evaluation examples ([[evaluate]] data)"));
    const uint32_t context = host_.context_size();
    std::vector<uint32_t> lengths = lengths_;
    if (lengths.empty()) lengths = {context / 8, context / 4, context / 2, context};

    struct Case {
      RulerCase c;
      uint32_t length;
      size_t prompt_tokens;
    };
    std::vector<Case> cases;
    std::vector<std::vector<uint32_t>> prompts;
    std::vector<uint32_t> budgets;
    for (auto& task : tasks) {
      const uint32_t budget = max_new_ ? max_new_ : RulerTasks::tokens_to_generate(task);
      // One generator per task, so adding a task changes no other task's cases.
      const auto& families = RulerTasks::families();
      const auto family = static_cast<uint64_t>(std::find(families.begin(), families.end(), task) - families.begin());
      longalign::Rng rng(seed_ * 0x9E3779B97F4A7C15ull + family);
      for (size_t li = 0; li < lengths.size(); ++li) {
        const uint32_t length = lengths[li];
        const std::string where = lengths_.empty() ? "default length " + std::to_string(length)
                                                   : "lengths[" + std::to_string(li) + "] = " + std::to_string(length);
        if (length > context + context / 2)
          throw Error(LA_ERR_INVALID_ARGUMENT, where + ": far past the model's context (" + std::to_string(context) + ")");
        if (lengths_.empty() && length < 2 * budget) continue;  // a default length too short for this task's reply
        if (length <= budget)
          throw Error(LA_ERR_INVALID_ARGUMENT, where + ": no room for a prompt beside task '" + task + "''s reply budget of " +
                                                   std::to_string(budget) + " tokens (max_new_tokens)");
        for (size_t s = 0; s < samples_; ++s) {
          std::optional<RulerCase> c;
          try {
            c = maker.make(task, length - budget, rng, [&](const std::string& prompt) { return host_.chat_prompt({{"user", prompt}}).size(); });
          } catch (const longalign::plugins::RulerLengthTooShort& e) {
            if (lengths_.empty()) break;  // a default length too short for this task's prompt
            throw Error(LA_ERR_INVALID_ARGUMENT, where + ": too short: " + e.what() + " tokens (the length less the reply budget of " +
                                                     std::to_string(budget) + ", max_new_tokens)");
          }
          std::vector<uint32_t> ids = host_.chat_prompt({{"user", c->prompt}});
          cases.push_back({std::move(*c), length, ids.size()});
          prompts.push_back(std::move(ids));
          budgets.push_back(budget);
        }
      }
    }
    if (cases.empty())
      throw Error(LA_ERR_INVALID_ARGUMENT, "the model's context (" + std::to_string(context) +
                                               " tokens) leaves no default length room for the tasks' replies: set lengths and max_new_tokens");
    std::vector<la_generate_request> requests;
    for (size_t i = 0; i < prompts.size(); ++i)
      requests.push_back({sizeof(la_generate_request), prompts[i].data(), prompts[i].size(), budgets[i], 0.0, 0});
    auto replies = host_.generate(requests);

    struct Tally {
      double sum = 0, n = 0;
      void add(double x) { sum += x, n += 1; }
    };
    Tally all;
    std::map<std::string, Tally> by_task;
    std::map<uint32_t, Tally> by_length;
    std::map<std::pair<std::string, uint32_t>, Tally> by_both;
    std::string csv = "task,length,prompt_tokens,score,answers,reply\n";
    for (size_t i = 0; i < cases.size(); ++i) {
      const Case& k = cases[i];
      const double score = longalign::plugins::ruler_score(replies[i].text, k.c.answers, k.c.all);
      all.add(score);
      by_task[k.c.task].add(score);
      by_length[k.length].add(score);
      by_both[{k.c.task, k.length}].add(score);
      char text[16];
      std::snprintf(text, sizeof text, "%.3f", score);
      csv += k.c.task + "," + std::to_string(k.length) + "," + std::to_string(k.prompt_tokens) + "," + text + "," +
             csv_field(nlohmann::json(k.c.answers).dump()) + "," + csv_field(replies[i].text) + "\n";
    }
    sink.metric("score", all.sum / all.n);
    sink.metric("cases", all.n);
    for (auto& [task, t] : by_task) sink.metric("score", t.sum / t.n, {{"task", task}});
    for (auto& [length, t] : by_length) sink.metric("score", t.sum / t.n, {{"length", std::to_string(length)}});
    for (auto& [key, t] : by_both) sink.metric("score", t.sum / t.n, {{"task", key.first}, {"length", std::to_string(key.second)}});
    sink.artifact("ruler.csv", "text/csv", csv);
  }

 private:
  static std::string csv_field(const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }

  longalign::Host host_;
  size_t samples_;
  uint32_t max_new_;
  uint64_t seed_;
  std::vector<uint32_t> lengths_;
  std::vector<std::string> tasks_;
  std::string essay_;
  std::unique_ptr<longalign::plugins::Corpus> corpus_;
};

}  // namespace

LONGALIGN_PLUGIN(Ruler)
