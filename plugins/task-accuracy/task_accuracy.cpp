// task-accuracy: how often the model answers checkable tasks right. Its examples come from the
// sweep ([[evaluate]] data = { source = "corpus-tasks", ... }): each chat's last assistant turn
// (or its metadata's "answer") is the reference, checked by the metadata's "match": exact (after
// trimming), contains, or numeric. The model answers greedily from the chat's prompt in its own
// template, the middle of a prompt too long for its context cut away (as LongBench does).
// Accuracy overall, per task and per input-length bucket, and char_match, the share of the
// reference's characters answered in place (graded: it moves before exact answers do); with
// remove_document, the question alone is asked (the documents removed), a control that should
// score lower.
#include <longalign/plugin.hpp>

#include "text_metrics.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>

namespace {

using longalign::Error;

// The first number in s, if any.
std::optional<double> first_number(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i)
    if (std::isdigit(static_cast<unsigned char>(s[i])) ||
        (s[i] == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))))
      return std::strtod(s.c_str() + i, nullptr);
  return std::nullopt;
}

bool correct(const std::string& reply, const std::string& reference, const std::string& match) {
  if (match == "contains") return reply.find(longalign::plugins::trimmed(reference)) != std::string::npos;
  if (match == "numeric") {
    auto a = first_number(reply), b = first_number(reference);
    return a && b && std::fabs(*a - *b) < 1e-9;
  }
  return longalign::plugins::trimmed(reply) == longalign::plugins::trimmed(reference);
}

class TaskAccuracy : public longalign::Evaluator {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("task-accuracy", "1.0.0",
                             "Accuracy on checkable tasks (corpus-tasks, synthetic-chat, length-mix), by task and input length")
        .param(longalign::Param::integer("max_new_tokens", 64, "Longest answer generated").range(1, 65536))
        .param(longalign::Param::boolean("remove_document", false,
                                         "Ask the question alone (the text after the last blank line of the last user turn)"))
        .param(longalign::Param::list("buckets", "[256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]",
                                      "Upper bounds of the input-length buckets, in tokens"));
  }

  TaskAccuracy(const longalign::Params& p, const longalign::Host& host)
      : host_(host), max_new_(static_cast<uint32_t>(p.get_int("max_new_tokens"))), remove_document_(p.get_bool("remove_document")) {
    longalign::Value b = p.at("buckets");
    for (size_t i = 0; i < b.size(); ++i) buckets_.push_back(static_cast<uint32_t>(b[i].as_int()));
  }

  void evaluate(const longalign::EvalSink& sink) override {
    const auto examples = sink.examples();
    if (examples.empty()) throw Error(LA_ERR_INVALID_ARGUMENT, "no examples: give the evaluation data = { source = ... }");
    const uint32_t context = host_.context_size();
    if (context <= max_new_ + 8) throw Error(LA_ERR_INVALID_ARGUMENT, "the context is too short for max_new_tokens");
    struct Case {
      std::string task, reference, match;
      uint32_t tokens = 0;
      bool truncated = false;
    };
    std::vector<Case> cases;
    std::vector<std::vector<uint32_t>> prompts;
    for (auto& e : examples) {
      auto meta = nlohmann::json::parse(e.metadata_json.empty() ? "{}" : e.metadata_json, nullptr, false);
      std::vector<longalign::Message> chat = e.messages;
      while (!chat.empty() && chat.back().role == "assistant") chat.pop_back();
      if (chat.empty() || chat.size() == e.messages.size()) continue;  // nothing asked, or nothing answered
      Case c;
      c.task = e.task;
      c.reference = meta.is_object() && meta.contains("answer") && meta["answer"].is_string() ? meta["answer"].get<std::string>()
                                                                                           : e.messages[chat.size()].content;
      c.match = meta.is_object() && meta.contains("match") && meta["match"].is_string() ? meta["match"].get<std::string>() : "exact";
      if (remove_document_) {
        std::string& q = chat.back().content;
        size_t cut = q.rfind("\n\n");
        if (cut == std::string::npos) cut = q.rfind('\n');
        if (cut != std::string::npos) q = q.substr(cut + (q.compare(cut, 2, "\n\n") == 0 ? 2 : 1));
      }
      std::vector<uint32_t> ids = host_.chat_prompt(chat);
      c.tokens = static_cast<uint32_t>(ids.size());
      const size_t room = context - max_new_;
      if (ids.size() > room) {  // keep the head and the tail (the question), cut the middle
        const size_t head = room / 2, tail = room - head;
        ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(head), ids.end() - static_cast<std::ptrdiff_t>(tail));
        c.truncated = true;
      }
      prompts.push_back(std::move(ids));
      cases.push_back(std::move(c));
    }
    std::vector<la_generate_request> requests;
    for (auto& p : prompts) requests.push_back({sizeof(la_generate_request), p.data(), p.size(), max_new_, 0.0, 0});
    auto replies = host_.generate(requests);

    std::map<std::string, std::pair<double, double>> by_task, by_bucket;  // right, total
    double right = 0, truncated = 0, chars = 0;
    nlohmann::json predictions = nlohmann::json::array();
    for (size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      const bool ok = correct(replies[i].text, c.reference, c.match);
      const double partial = longalign::plugins::char_match(replies[i].text, c.reference);
      right += ok;
      chars += partial;
      truncated += c.truncated;
      auto& t = by_task[c.task];
      t.first += ok, t.second += 1;
      auto& b = by_bucket[bucket(c.tokens)];
      b.first += ok, b.second += 1;
      predictions.push_back({{"task", c.task}, {"tokens", c.tokens}, {"reference", c.reference}, {"reply", replies[i].text},
                             {"correct", ok}, {"char_match", partial}});
    }
    sink.metric("accuracy", right / static_cast<double>(cases.size()));
    sink.metric("char_match", chars / static_cast<double>(cases.size()));
    sink.metric("examples", static_cast<double>(cases.size()));
    sink.metric("truncated", truncated);
    for (auto& [task, rt] : by_task) {
      sink.metric("accuracy", rt.first / rt.second, {{"task", task}});
      sink.metric("examples", rt.second, {{"task", task}});
    }
    for (auto& [b, rt] : by_bucket) {
      sink.metric("accuracy", rt.first / rt.second, {{"length", b}});
      sink.metric("examples", rt.second, {{"length", b}});
    }
    std::string jsonl;
    for (auto& p : predictions) jsonl += p.dump() + "\n";
    sink.artifact("predictions.jsonl", "application/x-ndjson", jsonl);
  }

 private:
  // "<=N" for the smallest bucket bound N holding `tokens`, else ">" the largest.
  std::string bucket(uint32_t tokens) const {
    for (uint32_t b : buckets_)
      if (tokens <= b) return "<=" + std::to_string(b);
    return ">" + std::to_string(buckets_.empty() ? 0 : buckets_.back());
  }

  longalign::Host host_;
  uint32_t max_new_;
  bool remove_document_;
  std::vector<uint32_t> buckets_;
};

}  // namespace

LONGALIGN_PLUGIN(TaskAccuracy)
