// self-instruct: LongAlign's data construction with a real LLM. For each long document it asks
// the host's LLM client (an OpenAI-compatible endpoint, configured in the sweep's [llm]) to
// propose questions with one of the paper's four prompt types (general, summary, reasoning,
// information extraction), takes one of them, then asks for its answer given the document.
// The chats it yields are LongAlign-10k's form; `longalign data export self-instruct` writes
// them as JSONL that jsonl-messages reads. Replies are cached by the client, so a rerun with the
// same seed yields the same examples without a request.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "corpus.h"

namespace {

using longalign::Error;

// The paper's task prompts (LongAlign, appendix: "Prompts for constructing long instruction data").
const std::vector<std::pair<std::string, std::string>>& prompt_types() {
  static const std::vector<std::pair<std::string, std::string>> p = {
      {"general",
       "Given the above text, please propose 5 English questions that are diverse and cover all parts of the text, in "
       "the following format: \"1: \", \"2: \", ..."},
      {"summary",
       "Given the above text, please propose 5 English questions that require summarization or integration from "
       "multiple parts, make sure they are diverse and cover all parts of the text, in the following format: \"1: \", "
       "\"2: \", ..."},
      {"reasoning",
       "Given the above text, please propose 5 English questions that require multi-hop reasoning, make sure they are "
       "diverse and cover all parts of the text, in the following format: \"1: \", \"2: \", ..."},
      {"extraction",
       "Given the above text, please propose 5 English information-seeking questions, make sure they are diverse and "
       "cover all parts of the text, in the following format: \"1: \", \"2: \", ..."},
  };
  return p;
}

// "1: question" lines (also "1. question"), in order.
std::vector<std::string> numbered_questions(const std::string& reply) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < reply.size()) {
    size_t nl = reply.find('\n', at);
    std::string line = reply.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? reply.size() : nl + 1;
    size_t i = line.find_first_not_of(" \t*");
    if (i == std::string::npos || !std::isdigit(static_cast<unsigned char>(line[i]))) continue;
    while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size() || (line[i] != ':' && line[i] != '.' && line[i] != ')')) continue;
    std::string q = line.substr(i + 1);
    q.erase(0, q.find_first_not_of(" \t"));
    while (!q.empty() && (q.back() == ' ' || q.back() == '\r')) q.pop_back();
    if (!q.empty()) out.push_back(q);
  }
  return out;
}

class SelfInstruct : public longalign::DataSource {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("self-instruct", "1.0.0",
                             "Long instruction data made by an LLM from long documents, with the paper's four prompt types")
        .param(longalign::plugins::sources_param())
        .param(longalign::Param::integer("count", 100, "Examples in the stream").min(0))
        .param(longalign::Param::list("prompt_types", "[]", "Which of general, summary, reasoning, extraction (empty: all four)"))
        .param(longalign::Param::integer("min_doc_chars", 2000, "Shorter documents are not used").min(1))
        .param(longalign::Param::integer("max_doc_chars", 60000, "Longer documents are cut to this (their head)").min(100))
        .param(longalign::Param::number("temperature", 0.7, "Sampling temperature for proposing questions").range(0.0, 2.0))
        .param(longalign::Param::integer("max_answer_tokens", 1024, "The answer's token limit (0: the endpoint's)").min(0))
        .param(longalign::Param::integer("max_file_bytes", 8 << 20, "Larger files are skipped").min(1));
  }

  SelfInstruct(const longalign::Params& p, const longalign::Host& host)
      : host_(host),
        corpus_(p),
        count_(p.get_int("count")),
        min_doc_(static_cast<size_t>(p.get_int("min_doc_chars"))),
        max_doc_(static_cast<size_t>(p.get_int("max_doc_chars"))),
        temperature_(p.get_float("temperature")),
        max_answer_tokens_(static_cast<int32_t>(p.get_int("max_answer_tokens"))) {
    longalign::Value types = p.at("prompt_types");
    for (size_t i = 0; i < types.size(); ++i) {
      std::string t = types[i].as_string();
      auto it = std::find_if(prompt_types().begin(), prompt_types().end(), [&](auto& x) { return x.first == t; });
      if (it == prompt_types().end())
        throw Error(LA_ERR_INVALID_ARGUMENT,
                    "prompt_types[" + std::to_string(i) + "]: unknown '" + t + "' (general, summary, reasoning, extraction)");
      types_.push_back(static_cast<size_t>(it - prompt_types().begin()));
    }
    if (types_.empty())
      for (size_t i = 0; i < prompt_types().size(); ++i) types_.push_back(i);
  }

  void open(uint64_t seed) override {
    seed_ = seed;
    made_ = asked_ = unparsed_ = 0;
    jobs_.clear();
    next_ = 0;
  }

  int64_t count() override { return count_; }

  bool next(longalign::Example& out) override {
    if (made_ >= count_) return false;
    if (jobs_.empty()) plan_jobs();
    while (next_ < jobs_.size()) {
      auto [doc_index, type] = jobs_[next_++];
      const auto& doc = corpus_.documents()[doc_index];
      const std::string text = doc.text.substr(0, max_doc_);
      const uint64_t seed = seed_ * 1000003 + next_;
      ++asked_;
      std::string proposal = host_.chat({{"user", text + "\n\n" + prompt_types()[type].second}}, temperature_, 0, seed);
      auto questions = numbered_questions(proposal);
      if (questions.empty()) {
        ++unparsed_;
        host_.log(LA_LOG_WARN, "no numbered questions in the reply for " + doc.name + "; document skipped");
        continue;
      }
      longalign::Rng rng(seed);
      const std::string question = questions[rng.below(questions.size())];
      const std::string prompt = text + "\n\n" + question;
      std::string answer = host_.chat({{"user", prompt}}, 0.0, max_answer_tokens_, seed);
      if (answer.empty()) {
        ++unparsed_;
        continue;
      }
      out.messages = {{"user", prompt}, {"assistant", answer}};
      out.source = doc.source;
      out.task = prompt_types()[type].first;
      out.metadata_json = nlohmann::json{{"document", doc.name}, {"questions", questions}}.dump();
      ++made_;
      return true;
    }
    throw Error(LA_ERR_INVALID_ARGUMENT, "the documents gave " + std::to_string(made_) + " examples of the " +
                                             std::to_string(count_) + " asked (" + std::to_string(unparsed_) +
                                             " replies without questions or answers)");
  }

  std::string provenance() override {
    auto p = nlohmann::json::parse(corpus_.provenance_json());
    p["asked"] = asked_;
    p["unusable_replies"] = unparsed_;
    return p.dump();
  }

 private:
  // Every (long enough document, prompt type) pair, in a seeded order.
  void plan_jobs() {
    const auto& docs = corpus_.documents();
    for (size_t d = 0; d < docs.size(); ++d)
      if (docs[d].text.size() >= min_doc_)
        for (size_t t : types_) jobs_.push_back({d, t});
    longalign::Rng rng(seed_);
    longalign::shuffle(jobs_, rng);
  }

  longalign::Host host_;
  longalign::plugins::Corpus corpus_;
  int64_t count_;
  size_t min_doc_, max_doc_;
  double temperature_;
  int32_t max_answer_tokens_;
  std::vector<size_t> types_;
  uint64_t seed_ = 0;
  std::vector<std::pair<size_t, size_t>> jobs_;
  size_t next_ = 0;
  int64_t made_ = 0, asked_ = 0, unparsed_ = 0;
};

}  // namespace

LONGALIGN_PLUGIN(SelfInstruct)
