// model-probe: an evaluator written outside the longalign tree that calls every part of the
// host's model service: context size, tokenize and detokenize, a chat prompt, batched scoring
// and batched generation. Its metrics say what each call answered.
#include <longalign/plugin.hpp>

#include <cmath>

namespace {

class ModelProbe : public longalign::Evaluator {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("model-probe", "0.1.0", "Calls each model-service function and reports what it answered")
        .param(longalign::Param::string("text", "hello world", "Text to round-trip and score"));
  }
  ModelProbe(const longalign::Params& p, const longalign::Host& host) : host_(host), text_(p.get_string("text")) {}

  void evaluate(const longalign::EvalSink& sink) override {
    sink.metric("context_size", host_.context_size());
    std::vector<uint32_t> ids = host_.tokenize(text_);
    sink.metric("roundtrip", host_.detokenize(ids) == text_ ? 1 : 0);
    la_score_request r{sizeof(la_score_request), ids.data(), 1, ids.data() + 1, ids.size() - 1};
    auto scores = host_.score({r, r});
    sink.metric("scored_tokens", scores[0].n_tokens);
    sink.metric("logprob_finite_negative", std::isfinite(scores[0].logprob) && scores[0].logprob < 0 ? 1 : 0);
    sink.metric("batch_agrees", scores[0].logprob == scores[1].logprob ? 1 : 0);
    std::vector<uint32_t> prompt = host_.chat_prompt({{"user", "Say hi."}});
    sink.metric("prompt_tokens", static_cast<double>(prompt.size()));
    auto gens = host_.generate({{sizeof(la_generate_request), prompt.data(), prompt.size(), 4, 0.0, 0},
                                {sizeof(la_generate_request), ids.data(), ids.size(), 2, 0.0, 0}});
    sink.metric("generations", static_cast<double>(gens.size()));
    sink.metric("generated_at_most_asked", gens[0].tokens.size() <= 4 && gens[1].tokens.size() <= 2 ? 1 : 0);
  }

 private:
  longalign::Host host_;
  std::string text_;
};

}  // namespace

LONGALIGN_PLUGIN(ModelProbe)
