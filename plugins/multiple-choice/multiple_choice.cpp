// multiple-choice: log-likelihood multiple choice, as lm-evaluation-harness scores MMLU, ARC,
// HellaSwag or TruthfulQA: each choice's log-probability as a continuation of the query (after a
// space); acc takes the likeliest, acc_norm the likeliest per byte of the choice. The short-task
// retention check. Files are JSONL the user supplies, a line {"query", "choices": [...], "gold": i}
// ("question" and "label" are read too); the task is the file's name.
#include <longalign/plugin.hpp>

#include <filesystem>
#include <map>

#include "jsonl_file.h"

namespace {

using longalign::Error;

class MultipleChoice : public longalign::Evaluator {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("multiple-choice", "1.0.0", "Log-likelihood multiple choice (lm-eval-harness style): acc and acc_norm")
        .param(longalign::Param::list("files", "[]", "JSONL files, a line {query, choices, gold}").path())
        .param(longalign::Param::integer("limit", 0, "Questions per file at most (0: all)").min(0));
  }

  MultipleChoice(const longalign::Params& p, const longalign::Host& host) : host_(host), limit_(static_cast<size_t>(p.get_int("limit"))) {
    longalign::Value files = p.at("files");
    for (size_t i = 0; i < files.size(); ++i) files_.push_back(files[i].as_string());
  }

  void evaluate(const longalign::EvalSink& sink) override {
    if (files_.empty()) throw Error(LA_ERR_INVALID_ARGUMENT, "files: name at least one JSONL file of questions");
    double right = 0, right_norm = 0, total = 0;
    for (auto& file : files_) {
      const auto lines = longalign::plugins::read_json_lines(file, limit_);
      double r = 0, rn = 0;
      for (auto& l : lines) {
        const auto& j = l.value;
        const auto* query = j.contains("query") ? &j["query"] : j.contains("question") ? &j["question"] : nullptr;
        const auto* gold = j.contains("gold") ? &j["gold"] : j.contains("label") ? &j["label"] : nullptr;
        if (!query || !query->is_string()) throw Error(LA_ERR_INVALID_ARGUMENT, l.where() + ": query: expected a string");
        if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].size() < 2)
          throw Error(LA_ERR_INVALID_ARGUMENT, l.where() + ": choices: expected an array of at least two strings");
        if (!gold || !gold->is_number_integer() || gold->get<int64_t>() < 0 || gold->get<size_t>() >= j["choices"].size())
          throw Error(LA_ERR_INVALID_ARGUMENT, l.where() + ": gold: expected the index of the right choice");
        std::vector<uint32_t> context = host_.tokenize(query->get<std::string>());
        if (context.empty()) throw Error(LA_ERR_INVALID_ARGUMENT, l.where() + ": query: empty");
        std::vector<std::vector<uint32_t>> conts;
        std::vector<double> bytes;
        for (auto& c : j["choices"]) {
          if (!c.is_string()) throw Error(LA_ERR_INVALID_ARGUMENT, l.where() + ": choices: expected strings");
          conts.push_back(host_.tokenize(" " + c.get<std::string>()));
          bytes.push_back(static_cast<double>(c.get<std::string>().size() + 1));
        }
        std::vector<la_score_request> requests;
        for (auto& c : conts) requests.push_back({sizeof(la_score_request), context.data(), context.size(), c.data(), c.size()});
        auto scores = host_.score(requests);
        size_t best = 0, best_norm = 0;
        for (size_t k = 1; k < scores.size(); ++k) {
          if (scores[k].logprob > scores[best].logprob) best = k;
          if (scores[k].logprob / bytes[k] > scores[best_norm].logprob / bytes[best_norm]) best_norm = k;
        }
        r += best == gold->get<size_t>();
        rn += best_norm == gold->get<size_t>();
      }
      const std::string task = std::filesystem::path(file).stem().string();
      const double n = static_cast<double>(lines.size());
      sink.metric("acc", r / n, {{"task", task}});
      sink.metric("acc_norm", rn / n, {{"task", task}});
      sink.metric("questions", n, {{"task", task}});
      right += r, right_norm += rn, total += n;
    }
    sink.metric("acc", right / total);
    sink.metric("acc_norm", right_norm / total);
    sink.metric("questions", total);
  }

 private:
  longalign::Host host_;
  size_t limit_;
  std::vector<std::string> files_;
};

}  // namespace

LONGALIGN_PLUGIN(MultipleChoice)
