// longbench-chat: LongBench-Chat's protocol. The model answers each test case (its long context
// and query, the middle cut to fit the model's context, as the paper does); a judge LLM (the
// host's client, from the sweep's [llm]) rates each answer 1-10 given the query, the reference
// answer and 3 rated examples, its rating parsed from "[[n]]". Temperature 0, the examples'
// order shuffled per run, two runs averaged. A reply without a rating is asked again, then
// recorded as a failure, never as a score. Without a judge (judge = "none", or "auto" and no
// endpoint): ROUGE-L F1 and exact match against the reference, under those names.
//
// The benchmark's files come from `dir`; nothing is bundled:
//   test_cases.json  [{"context": "...", "query": "...", "answer": "..."}]  (context optional)
//   few_shots.json   [{"query", "answer", "prediction", "score"}], at least 3
//   judge.txt        the judge's prompt: {few_shots}, {query}, {reference}, {prediction}
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include "text_metrics.h"

namespace {

using longalign::Error;

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(LA_ERR_INVALID_ARGUMENT, file.string() + ": cannot read (dir names the benchmark's files)");
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_array()) throw Error(LA_ERR_INVALID_ARGUMENT, file.string() + ": expected a JSON array");
  return j;
}

std::string text_of(const nlohmann::json& j, const char* key, const std::string& where, bool required = true) {
  if (!j.contains(key)) {
    if (required) throw Error(LA_ERR_INVALID_ARGUMENT, where + ": missing '" + key + "'");
    return "";
  }
  if (j[key].is_string()) return j[key];
  if (j[key].is_number()) return j[key].dump();
  throw Error(LA_ERR_INVALID_ARGUMENT, where + "." + key + ": expected a string");
}

// tmpl with each {key} replaced by its value, in one pass (a value's own braces stay as they are).
std::string fill(const std::string& tmpl, const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  for (size_t i = 0; i < tmpl.size();) {
    bool replaced = false;
    for (auto& [key, value] : values)
      if (tmpl.compare(i, key.size(), key) == 0) {
        out += value;
        i += key.size();
        replaced = true;
        break;
      }
    if (!replaced) out += tmpl[i++];
  }
  return out;
}

// The rating in "[[n]]", 1 to 10; none when the reply has no such rating.
std::optional<double> rating(const std::string& reply) {
  static const std::regex r(R"(\[\[\s*(\d+(?:\.\d+)?)\s*\]\])");
  std::smatch m;
  if (!std::regex_search(reply, m, r)) return std::nullopt;
  const double v = std::stod(m[1].str());
  if (v < 1 || v > 10) return std::nullopt;
  return v;
}

struct Shot {
  std::string query, answer, prediction, score;
};

class LongBenchChat : public longalign::Evaluator {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("longbench-chat", "1.0.0", "LongBench-Chat: answers rated 1-10 by a judge LLM (or ROUGE-L without one)")
        .param(longalign::Param::string("dir", "", "The benchmark's directory: test_cases.json, few_shots.json, judge.txt").path())
        .param(longalign::Param::string("judge", "auto", "Rate with the [llm] judge, or ROUGE-L and exact match (none); auto: the judge when there is one")
                   .choices({"auto", "llm", "none"}))
        .param(longalign::Param::integer("max_new_tokens", 512, "Longest answer generated").range(1, 65536))
        .param(longalign::Param::integer("runs", 2, "Judge runs averaged, each with its own order of the examples").range(1, 16))
        .param(longalign::Param::integer("retries", 2, "Asks again for a reply without a rating").range(0, 16))
        .param(longalign::Param::integer("seed", 0, "Orders the examples").min(0))
        .param(longalign::Param::integer("limit", 0, "Test cases at most (0: all)").min(0));
  }

  LongBenchChat(const longalign::Params& p, const longalign::Host& host)
      : host_(host), dir_(p.get_string("dir")), judge_(p.get_string("judge")),
        max_new_(static_cast<uint32_t>(p.get_int("max_new_tokens"))), runs_(static_cast<int>(p.get_int("runs"))),
        retries_(static_cast<int>(p.get_int("retries"))), seed_(static_cast<uint64_t>(p.get_int("seed"))),
        limit_(static_cast<size_t>(p.get_int("limit"))) {
    if (dir_.empty()) throw Error(LA_ERR_INVALID_ARGUMENT, "dir: name the directory holding test_cases.json, few_shots.json and judge.txt");
  }

  void evaluate(const longalign::EvalSink& sink) override {
    const std::filesystem::path dir(dir_);
    auto cases = read_json(dir / "test_cases.json");
    if (limit_ && cases.size() > limit_) cases.erase(cases.begin() + static_cast<std::ptrdiff_t>(limit_), cases.end());
    const uint32_t context = host_.context_size();
    std::vector<std::vector<uint32_t>> prompts;
    std::vector<std::string> queries, references;
    for (size_t i = 0; i < cases.size(); ++i) {
      const std::string where = (dir / "test_cases.json").string() + "[" + std::to_string(i) + "]";
      const std::string ctx = text_of(cases[i], "context", where, false), query = text_of(cases[i], "query", where);
      queries.push_back(query);
      references.push_back(text_of(cases[i], "answer", where));
      std::vector<uint32_t> ids = host_.chat_prompt({{"user", ctx.empty() ? query : ctx + "\n\n" + query}});
      const size_t room = context > max_new_ ? context - max_new_ : 1;
      if (ids.size() > room) ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(room / 2), ids.end() - static_cast<std::ptrdiff_t>(room - room / 2));
      prompts.push_back(std::move(ids));
    }
    std::vector<la_generate_request> requests;
    for (auto& p : prompts) requests.push_back({sizeof(la_generate_request), p.data(), p.size(), max_new_, 0.0, 0});
    auto answers = host_.generate(requests);

    nlohmann::json record = nlohmann::json::array();
    if (judge_ == "none" || (judge_ == "auto" && !judge_available())) {
      double rouge = 0, exact = 0;
      for (size_t i = 0; i < cases.size(); ++i) {
        const double r = longalign::plugins::rouge_l(answers[i].text, references[i]);
        const bool e = longalign::plugins::normalized_words(answers[i].text) == longalign::plugins::normalized_words(references[i]);
        rouge += r, exact += e;
        record.push_back({{"query", queries[i]}, {"prediction", answers[i].text}, {"rouge_l", r}, {"exact_match", e}});
      }
      sink.metric("rouge_l", rouge / static_cast<double>(cases.size()));
      sink.metric("exact_match", exact / static_cast<double>(cases.size()));
      sink.metric("cases", static_cast<double>(cases.size()));
      sink.artifact("longbench-chat.json", "application/json", record.dump(1));
      return;
    }
    std::vector<Shot> shots = read_shots(dir / "few_shots.json");
    std::ifstream t(dir / "judge.txt");
    if (!t) throw Error(LA_ERR_INVALID_ARGUMENT, (dir / "judge.txt").string() + ": cannot read");
    std::stringstream ts;
    ts << t.rdbuf();
    const std::string tmpl = ts.str();
    double total = 0, rated = 0, failures = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
      std::vector<double> scores;
      nlohmann::json replies = nlohmann::json::array();
      for (int run = 0; run < runs_; ++run) {
        std::vector<Shot> order = shots;
        longalign::Rng rng(seed_ * 1000003 + static_cast<uint64_t>(i) * 101 + static_cast<uint64_t>(run));
        longalign::shuffle(order, rng);
        order.resize(3);
        const std::string prompt = judge_prompt(tmpl, order, queries[i], references[i], answers[i].text);
        std::optional<double> s;
        for (int attempt = 0; attempt <= retries_ && !s; ++attempt) {
          // Another seed per attempt: a cached malformed reply is not simply served again.
          std::string reply = host_.chat({{"user", prompt}}, 0.0, 0, static_cast<uint64_t>(run) * 1000 + static_cast<uint64_t>(attempt));
          replies.push_back(reply);
          s = rating(reply);
        }
        if (s) scores.push_back(*s);
        else ++failures;
      }
      double mean = 0;
      for (double s : scores) mean += s;
      if (!scores.empty()) {
        mean /= static_cast<double>(scores.size());
        total += mean;
        ++rated;
      }
      record.push_back({{"query", queries[i]}, {"prediction", answers[i].text}, {"scores", scores}, {"judge_replies", replies}});
    }
    if (rated > 0) sink.metric("score", total / rated);
    sink.metric("rated", rated);
    sink.metric("judge_failures", failures);
    sink.metric("cases", static_cast<double>(cases.size()));
    sink.artifact("longbench-chat.json", "application/json", record.dump(1));
  }

 private:
  bool judge_available() const {
    const la_host_services* h = host_.raw();
    return h && h->llm && h->llm->ctx;  // the unavailable client has no context
  }

  std::vector<Shot> read_shots(const std::filesystem::path& file) const {
    auto j = read_json(file);
    if (j.size() < 3) throw Error(LA_ERR_INVALID_ARGUMENT, file.string() + ": needs at least 3 rated examples");
    std::vector<Shot> out;
    for (size_t i = 0; i < j.size(); ++i) {
      const std::string where = file.string() + "[" + std::to_string(i) + "]";
      out.push_back({text_of(j[i], "query", where), text_of(j[i], "answer", where), text_of(j[i], "prediction", where),
                     text_of(j[i], "score", where)});
    }
    return out;
  }

  static std::string judge_prompt(const std::string& tmpl, const std::vector<Shot>& shots, const std::string& query,
                                  const std::string& reference, const std::string& prediction) {
    std::string few;
    for (size_t k = 0; k < shots.size(); ++k)
      few += (k ? "\n\n" : "") + std::string("[Question]\n") + shots[k].query + "\n\n[Reference answer]\n" + shots[k].answer +
             "\n\n[AI assistant's answer]\n" + shots[k].prediction + "\n\nRating: [[" + shots[k].score + "]]";
    return fill(tmpl, {{"{few_shots}", few}, {"{query}", query}, {"{reference}", reference}, {"{prediction}", prediction}});
  }

  longalign::Host host_;
  std::string dir_, judge_;
  uint32_t max_new_;
  int runs_, retries_;
  uint64_t seed_;
  size_t limit_;
};

}  // namespace

LONGALIGN_PLUGIN(LongBenchChat)
