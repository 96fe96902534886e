// The model service over the engine, as evaluators see it: a continuation's score is the sum of
// the model's next-token log-probs (its greedy flag the argmax check), generation is the engine's
// with the end-of-turn token as stop, and chat prompts are the template's rendering up to the
// reply. Called through the C table, as a plugin calls it.
#include <gtest/gtest.h>

#include <longalign/plugin.hpp>

#include <cmath>

#include "cell/model_service.h"
#include "engine.h"
#include <longalign/utf8.hpp>

namespace longalign::host {
namespace {

class EngineModel : public ServedModel {
 public:
  explicit EngineModel(const engine::Model& m) : m_(m) {}
  engine::Model::ContinuationScore score(const std::vector<int64_t>& ids, int64_t from) const override {
    return m_.score_continuation(ids, from);
  }
  std::vector<int64_t> generate(const std::vector<int64_t>& prompt, const engine::Model::Sampling& s) const override {
    return m_.generate(prompt, s);
  }

 private:
  const engine::Model& m_;
};

TEST(ModelService, AnswersAsTheEngineDoes) {
  engine::Model model(engine::model_preset("tiny"), 5);
  EngineModel served(model);
  ByteTokenizer tok;
  auto tmpl = make_chat_template("llama2");
  ModelService service(served, tok, *tmpl, 1024);
  la_host_services table{};
  table.struct_size = sizeof table;
  table.model = service.table();
  longalign::Host host(&table);

  EXPECT_EQ(host.context_size(), 1024u);
  auto ids = host.tokenize("The pass key is 12345.");
  ASSERT_EQ(ids.size(), 22u);
  EXPECT_EQ(host.detokenize(ids), "The pass key is 12345.");

  // A continuation's score is the sum of the next-token log-probs over its positions.
  std::vector<int64_t> all(ids.begin(), ids.end());
  auto logp = model.next_token_logprobs(all);
  la_score_request r{sizeof(la_score_request), ids.data(), 10, ids.data() + 10, ids.size() - 10};
  auto scored = host.score({r});
  double want = 0;
  for (size_t t = 9; t + 1 < all.size(); ++t) want += logp[t];
  EXPECT_NEAR(scored[0].logprob, want, 1e-4);
  EXPECT_EQ(scored[0].n_tokens, ids.size() - 10);

  // A continuation of greedy tokens is flagged greedy; an altered one is not.
  engine::Model::Sampling greedy;
  greedy.max_new_tokens = 6;
  auto next = model.generate(all, greedy);
  std::vector<uint32_t> cont(next.begin(), next.end());
  auto g = host.score({{sizeof(la_score_request), ids.data(), ids.size(), cont.data(), cont.size()}});
  EXPECT_EQ(g[0].greedy, 1);
  cont[2] = (cont[2] + 1) % 256;
  g = host.score({{sizeof(la_score_request), ids.data(), ids.size(), cont.data(), cont.size()}});
  EXPECT_EQ(g[0].greedy, 0);

  // Generation: the engine's tokens up to the end of turn, and their text.
  auto prompt = host.chat_prompt({{"user", "Say hi."}});
  std::vector<uint32_t> want_prompt = tmpl->prompt({{"user", "Say hi."}}, tok);
  EXPECT_EQ(prompt, want_prompt);
  EXPECT_EQ(tok.decode(prompt), "[INST] Say hi. [/INST] ");
  auto gens = host.generate({{sizeof(la_generate_request), prompt.data(), prompt.size(), 12, 0.0, 0},
                             {sizeof(la_generate_request), ids.data(), ids.size(), 5, 0.0, 0}});
  ASSERT_EQ(gens.size(), 2u);
  engine::Model::Sampling s;
  s.max_new_tokens = 12;
  s.stop_token = tok.eos();
  auto engine_ids = model.generate(std::vector<int64_t>(prompt.begin(), prompt.end()), s);
  if (!engine_ids.empty() && engine_ids.back() == tok.eos()) engine_ids.pop_back();
  EXPECT_EQ(std::vector<int64_t>(gens[0].tokens.begin(), gens[0].tokens.end()), engine_ids);
  // The text is the tokens' bytes as UTF-8 (an untrained model's stray bytes become U+FFFD).
  EXPECT_EQ(gens[0].text, repaired_utf8(tok.decode(gens[0].tokens)));
  EXPECT_TRUE(valid_utf8(gens[0].text));
  EXPECT_LE(gens[1].tokens.size(), 5u);

  // Bad input is the caller's error, said so.
  std::vector<uint32_t> bad = {1, 2, 999};
  EXPECT_THROW(host.score({{sizeof(la_score_request), bad.data(), 1, bad.data() + 1, 2}}), longalign::Error);
}

}  // namespace
}  // namespace longalign::host
