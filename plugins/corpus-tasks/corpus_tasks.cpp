// corpus-tasks: the Self-Instruct step without an LLM. Long examples built from real documents
// of named sources, each asking something whose answer is known by construction, so training
// and evaluation can check it: quote the line that holds a word (extract), name the document
// that mentions one (which-document), recall a pass key hidden at a depth (passkey), look up
// records (kv-lookup), count a word (count), order lines (order), list the Markdown headings
// (headings). Input lengths are drawn log-uniformly from [min_chars, max_chars]; `answer_chars`
// lengthens the answers that can grow (extract, kv-lookup), so loss weighting can be studied
// with short answers (the paper's long tasks) or long ones. Deterministic for a seed.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "corpus.h"
#include "log_uniform.h"
#include "task_context.h"

namespace {

using longalign::Error;
using longalign::plugins::TaskContext;

const std::vector<std::string> kTasks = {"extract", "which-document", "passkey", "kv-lookup", "count", "order", "headings"};

class CorpusTasks : public longalign::DataSource {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("corpus-tasks", "1.0.0",
                             "Checkable long tasks (extract, which-document, passkey, kv-lookup, count, order, headings) "
                             "over documents of named sources")
        .param(longalign::plugins::sources_param())
        .param(longalign::Param::integer("count", 1000, "Examples in the stream").min(0))
        .param(longalign::Param::list("tasks", "[]", "Task types to draw from, uniformly (empty: all seven)"))
        .param(longalign::Param::integer("min_chars", 4000,
                                         "Shortest excerpt of the documents, in characters (the task's own lines come on top: "
                                         "short ones make a curriculum)")
                   .min(1))
        .param(longalign::Param::integer("max_chars", 16000, "Longest excerpt of the documents, in characters").min(1))
        .param(longalign::Param::integer("answer_chars", 0,
                                         "Lengthen growable answers to about this many characters (0: shortest)")
                   .range(0, 1 << 20))
        .param(longalign::Param::integer("max_file_bytes", 8 << 20, "Larger files are skipped").min(1));
  }

  CorpusTasks(const longalign::Params& p, const longalign::Host&)
      : corpus_(p),
        count_(p.get_int("count")),
        min_chars_(static_cast<size_t>(p.get_int("min_chars"))),
        max_chars_(static_cast<size_t>(p.get_int("max_chars"))),
        answer_chars_(static_cast<size_t>(p.get_int("answer_chars"))) {
    if (min_chars_ > max_chars_)
      throw Error(LA_ERR_INVALID_ARGUMENT, "min_chars (" + std::to_string(min_chars_) + ") is above max_chars (" +
                                               std::to_string(max_chars_) + ")");
    longalign::Value tasks = p.at("tasks");
    for (size_t i = 0; i < tasks.size(); ++i) {
      std::string t = tasks[i].as_string();
      if (std::find(kTasks.begin(), kTasks.end(), t) == kTasks.end())
        throw Error(LA_ERR_INVALID_ARGUMENT, "tasks[" + std::to_string(i) + "]: unknown task '" + t +
                                                 "' (extract, which-document, passkey, kv-lookup, count, order, headings)");
      tasks_.push_back(t);
    }
    if (tasks_.empty()) tasks_ = kTasks;
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
    TaskContext ctx(corpus_, rng_, chars, task == "which-document" ? 2 : 1);
    longalign::plugins::Task t = ctx.make(task, answer_chars_);
    out.messages = {{"user", ctx.render() + "\n\n" + t.question}, {"assistant", t.answer}};
    out.source = ctx.main_source();
    out.task = t.type;
    nlohmann::json meta = t.details;
    meta["answer"] = t.answer;
    meta["match"] = t.match;
    meta["documents"] = ctx.titles();
    meta["chars"] = out.messages[0].content.size();
    out.metadata_json = meta.dump();
    return true;
  }

  std::string provenance() override { return corpus_.provenance_json(); }

 private:
  longalign::plugins::Corpus corpus_;
  int64_t count_;
  size_t min_chars_, max_chars_, answer_chars_;
  std::vector<std::string> tasks_;
  longalign::Rng rng_{0};
  int64_t made_ = 0;
};

}  // namespace

LONGALIGN_PLUGIN(CorpusTasks)
