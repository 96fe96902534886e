// longbench: LongBench-style single-document QA, multi-document QA and summarization from files
// the user supplies (LongBench's JSONL: {"context", "input", "answers": [...]}, the task being
// the line's "dataset" or else the file's name). The model answers greedily from the prompt
// template's filling, its middle cut when longer than the context; token F1 and ROUGE-L against
// the best of the answers, per task and overall.
#include <longalign/plugin.hpp>

#include <filesystem>
#include <map>

#include "jsonl_file.h"
#include "text_metrics.h"

namespace {

using longalign::Error;

std::string fill(std::string tmpl, const std::string& context, const std::string& input) {
  for (auto [key, value] : {std::pair<std::string, const std::string*>{"{context}", &context}, {"{input}", &input}})
    for (size_t at; (at = tmpl.find(key)) != std::string::npos;) tmpl.replace(at, key.size(), *value);
  return tmpl;
}

class LongBench : public longalign::Evaluator {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("longbench", "1.0.0", "LongBench-style QA and summarization from your files: token F1 and ROUGE-L per task")
        .param(longalign::Param::list("files", "[]", "LongBench JSONL files, a line {context, input, answers}").path())
        .param(longalign::Param::string("prompt",
                                        "{context}\n\nAnswer the question based on the text above as concisely as you can.\n\nQuestion: {input}",
                                        "The user turn, with {context} and {input}"))
        .param(longalign::Param::integer("max_new_tokens", 128, "Longest answer generated").range(1, 65536))
        .param(longalign::Param::integer("limit", 0, "Cases per file at most (0: all)").min(0));
  }

  LongBench(const longalign::Params& p, const longalign::Host& host)
      : host_(host), prompt_(p.get_string("prompt")), max_new_(static_cast<uint32_t>(p.get_int("max_new_tokens"))),
        limit_(static_cast<size_t>(p.get_int("limit"))) {
    longalign::Value files = p.at("files");
    for (size_t i = 0; i < files.size(); ++i) files_.push_back(files[i].as_string());
    if (prompt_.find("{context}") == std::string::npos || prompt_.find("{input}") == std::string::npos)
      throw Error(LA_ERR_INVALID_ARGUMENT, "prompt: must hold {context} and {input}");
  }

  void evaluate(const longalign::EvalSink& sink) override {
    if (files_.empty()) throw Error(LA_ERR_INVALID_ARGUMENT, "files: name at least one LongBench JSONL file");
    const uint32_t context = host_.context_size();
    struct Case {
      std::string task;
      std::vector<std::string> answers;
    };
    std::vector<Case> cases;
    std::vector<std::vector<uint32_t>> prompts;
    for (auto& file : files_) {
      const auto lines = longalign::plugins::read_json_lines(file, limit_);
      for (auto& l : lines) {
        const auto& j = l.value;
        for (const char* k : {"context", "input"})
          if (!j.contains(k) || !j[k].is_string()) throw Error(LA_ERR_INVALID_ARGUMENT, l.where() + ": " + k + ": expected a string");
        if (!j.contains("answers") || !j["answers"].is_array() || j["answers"].empty())
          throw Error(LA_ERR_INVALID_ARGUMENT, l.where() + ": answers: expected a non-empty array of strings");
        Case c;
        c.task = j.contains("dataset") && j["dataset"].is_string() ? j["dataset"].get<std::string>()
                                                                   : std::filesystem::path(file).stem().string();
        for (auto& a : j["answers"]) {
          if (!a.is_string()) throw Error(LA_ERR_INVALID_ARGUMENT, l.where() + ": answers: expected strings");
          c.answers.push_back(a);
        }
        std::vector<uint32_t> ids = host_.chat_prompt({{"user", fill(prompt_, j["context"], j["input"])}});
        const size_t room = context > max_new_ ? context - max_new_ : 1;
        if (ids.size() > room) {  // LongBench's truncation: keep the head and the tail
          const size_t head = room / 2;
          ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(head), ids.end() - static_cast<std::ptrdiff_t>(room - head));
        }
        prompts.push_back(std::move(ids));
        cases.push_back(std::move(c));
      }
    }
    std::vector<la_generate_request> requests;
    for (auto& p : prompts) requests.push_back({sizeof(la_generate_request), p.data(), p.size(), max_new_, 0.0, 0});
    auto replies = host_.generate(requests);
    std::map<std::string, std::vector<std::pair<double, double>>> by_task;
    double f1 = 0, rouge = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
      double best_f1 = 0, best_rouge = 0;
      for (auto& a : cases[i].answers) {
        best_f1 = std::max(best_f1, longalign::plugins::token_f1(replies[i].text, a));
        best_rouge = std::max(best_rouge, longalign::plugins::rouge_l(replies[i].text, a));
      }
      by_task[cases[i].task].push_back({best_f1, best_rouge});
      f1 += best_f1, rouge += best_rouge;
    }
    for (auto& [task, v] : by_task) {
      double a = 0, b = 0;
      for (auto& [x, y] : v) a += x, b += y;
      sink.metric("f1", a / static_cast<double>(v.size()), {{"task", task}});
      sink.metric("rouge_l", b / static_cast<double>(v.size()), {{"task", task}});
      sink.metric("cases", static_cast<double>(v.size()), {{"task", task}});
    }
    sink.metric("f1", f1 / static_cast<double>(cases.size()));
    sink.metric("rouge_l", rouge / static_cast<double>(cases.size()));
    sink.metric("cases", static_cast<double>(cases.size()));
  }

 private:
  longalign::Host host_;
  std::string prompt_;
  uint32_t max_new_;
  size_t limit_;
  std::vector<std::string> files_;
};

}  // namespace

LONGALIGN_PLUGIN(LongBench)
