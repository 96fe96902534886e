// perplexity: the model's loss on given texts, or on the examples of the evaluation's data (a
// text-corpus chunk as it is, a chat as its turns' contents joined by newlines), scored through
// the host's model service: nll_per_token (nats) and perplexity over all of them. A template for
// evaluator plugins.
#include <longalign/plugin.hpp>

#include <cmath>

namespace {

class Perplexity : public longalign::Evaluator {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("perplexity", "1.0.0", "Loss per token and perplexity of the model on the given texts")
        .param(longalign::Param::list(
            "texts",
            R"(["The quick brown fox jumps over the lazy dog.", "Long context alignment needs long instruction data."])",
            "Texts to score, each conditioned on its first token; the evaluation's data, when it has some, replaces them"));
  }

  Perplexity(const longalign::Params& p, const longalign::Host& host) : host_(host) {
    longalign::Value texts = p.at("texts");
    for (size_t i = 0; i < texts.size(); ++i) texts_.push_back(texts[i].as_string());
  }

  void evaluate(const longalign::EvalSink& sink) override {
    std::vector<std::string> texts = texts_;
    if (auto examples = sink.examples(); !examples.empty()) {
      texts.clear();
      for (auto& e : examples) {
        std::string t = e.text;
        for (auto& m : e.messages) t += (t.empty() ? "" : "\n") + m.content;
        texts.push_back(std::move(t));
      }
    }
    std::vector<std::vector<uint32_t>> ids;
    std::vector<la_score_request> requests;
    for (auto& t : texts) {
      ids.push_back(host_.tokenize(t));
      if (ids.back().size() < 2) throw longalign::Error(LA_ERR_INVALID_ARGUMENT, "a text is shorter than two tokens");
    }
    for (auto& x : ids) requests.push_back({sizeof(la_score_request), x.data(), 1, x.data() + 1, x.size() - 1});
    auto results = host_.score(requests);
    double nll = 0, tokens = 0;
    for (auto& r : results) {
      nll -= r.logprob;
      tokens += r.n_tokens;
    }
    sink.metric("nll_per_token", nll / tokens);
    sink.metric("perplexity", std::exp(nll / tokens));
    sink.metric("tokens", tokens);
  }

 private:
  longalign::Host host_;
  std::vector<std::string> texts_;
};

}  // namespace

LONGALIGN_PLUGIN(Perplexity)
