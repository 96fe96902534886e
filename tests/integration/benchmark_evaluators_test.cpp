// The evaluators that read benchmark files the user supplies: multiple-choice (acc, acc_norm
// from log-likelihoods), longbench (token F1 and ROUGE-L per task) and longbench-chat, whose judge
// protocol is checked against a local OpenAI-protocol server: the exact prompt sent, the few-shot
// order shuffled per run, [[n]] parsed, malformed replies asked again then counted as failures,
// two runs averaged; without a judge, ROUGE-L and exact match under their own names.
#include <gtest/gtest.h>

#include <longalign/batching.hpp>

#include <fstream>
#include <map>

#include "chat_server.h"
#include "check/reference_model.h"
#include "llm/llm_service.h"
#include "plugin/instance.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

std::map<std::string, double> evaluate(const std::string& plugin, const nlohmann::json& params, const la_model_service* model,
                                       const la_llm_client* llm = nullptr, std::vector<EvalArtifact>* artifacts_out = nullptr) {
  EvaluatorInstance ev(PluginLibrary::load(test::kBundled / (plugin + ".so")), params, model, llm);
  std::vector<EvalMetric> metrics;
  std::vector<EvalArtifact> artifacts;
  ev.evaluate(metrics, artifacts);
  std::map<std::string, double> out;
  for (auto& m : metrics) {
    std::string key = m.name;
    for (auto& [k, v] : m.tags) key += "{" + k + "=" + v + "}";
    out[key] = m.value;
  }
  if (artifacts_out) *artifacts_out = artifacts;
  return out;
}

TEST(MultipleChoice, PicksTheLikeliestChoiceAndItsPerByteNorm) {
  // The reference model gives every byte log(1/256): the shortest choice is the likeliest (acc),
  // and per byte all tie, so the first choice wins acc_norm.
  test::ScratchDir dir("mc");
  std::ofstream(dir.path / "arc.jsonl") << R"({"query": "Q1", "choices": ["longer answer", "short"], "gold": 1})" "\n"
                                        << R"({"question": "Q2", "choices": ["a", "bb", "ccc"], "label": 0})" "\n";
  ReferenceModel model;
  auto m = evaluate("multiple-choice", {{"files", {(dir.path / "arc.jsonl").string()}}}, model.service());
  EXPECT_DOUBLE_EQ(m["acc"], 1.0);
  EXPECT_DOUBLE_EQ(m["acc_norm"], 0.5);
  EXPECT_DOUBLE_EQ(m["questions{task=arc}"], 2);
  std::ofstream(dir.path / "bad.jsonl") << R"({"query": "Q", "choices": ["a", "b"], "gold": 5})" "\n";
  try {
    evaluate("multiple-choice", {{"files", {(dir.path / "bad.jsonl").string()}}}, model.service());
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:1: gold: expected the index of the right choice"), std::string::npos) << e.what();
  }
}

TEST(LongBench, ScoresTokenF1AndRougeLPerTask) {
  // The reference model's reply repeats the prompt's last byte; the prompt ends "... {input}" and
  // the template's "[/INST] ", so the reply is spaces: F1 0 against any answer. An answer of
  // spaces only normalises to nothing, scored 0 too. What is checked: tasks, counts and truncation.
  test::ScratchDir dir("lb");
  std::ofstream(dir.path / "qa.jsonl") << R"({"context": "The sky is blue.", "input": "What colour?", "answers": ["blue"], "dataset": "colours"})" "\n"
                                       << R"({"context": ")" << std::string(9000, 'x') << R"(", "input": "Long?", "answers": ["yes"]})" "\n";
  ReferenceModel model(2048);
  auto m = evaluate("longbench", {{"files", {(dir.path / "qa.jsonl").string()}}, {"max_new_tokens", 4}}, model.service());
  EXPECT_DOUBLE_EQ(m["cases"], 2);
  EXPECT_DOUBLE_EQ(m["cases{task=colours}"], 1);
  EXPECT_DOUBLE_EQ(m["cases{task=qa}"], 1);
  EXPECT_DOUBLE_EQ(m["f1"], 0);

  // A model that answers "Blue, the sky." to everything: normalised (case, punctuation and
  // articles dropped) the reply is "blue sky"; against "blue", precision 1/2 and recall 1, so
  // F1 = ROUGE-L = 2/3 on the first case; the second ("yes") shares no word: 0. Per task, and
  // their mean.
  ReferenceModel answers(2048, "Blue, the sky.");
  m = evaluate("longbench", {{"files", {(dir.path / "qa.jsonl").string()}}, {"max_new_tokens", 32}}, answers.service());
  EXPECT_DOUBLE_EQ(m["f1{task=colours}"], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m["rouge_l{task=colours}"], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m["rouge_l{task=qa}"], 0);
  EXPECT_DOUBLE_EQ(m["f1"], 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m["rouge_l"], 1.0 / 3.0);
  // Cut at max_new_tokens = 4 bytes, the reply is "Blue": F1 1 on the first case.
  m = evaluate("longbench", {{"files", {(dir.path / "qa.jsonl").string()}}, {"max_new_tokens", 4}}, answers.service());
  EXPECT_DOUBLE_EQ(m["rouge_l{task=colours}"], 1.0);
}

struct ChatBench : test::ScratchDir {
  ChatBench() : ScratchDir("lbc") {
    std::ofstream(path / "test_cases.json") << R"([{"context": "A long text.", "query": "Q1?", "answer": "R1"},
                                                 {"query": "Q2?", "answer": "R2"}])";
    std::ofstream(path / "few_shots.json") << R"([{"query": "S1", "answer": "A1", "prediction": "P1", "score": 3},
                                                {"query": "S2", "answer": "A2", "prediction": "P2", "score": 6},
                                                {"query": "S3", "answer": "A3", "prediction": "P3", "score": 9},
                                                {"query": "S4", "answer": "A4", "prediction": "P4", "score": 1}])";
    std::ofstream(path / "judge.txt") << "Rate it.\n{few_shots}\n\n[Question]\n{query}\n\n[Reference answer]\n{reference}\n\n"
                                         "[AI assistant's answer]\n{prediction}\n\nRating:";
  }
};

TEST(LongBenchChat, TheJudgeProtocol) {
  ChatBench bench;
  test::ChatServer server;
  // Case 1: run 1 rates 7; run 2 first replies without a rating, then 9. Case 2: never a rating.
  server.script({test::Reply::completion("Rating: [[7]]"), test::Reply::completion("I think it is fine."),
                 test::Reply::completion("Rating: [[9]]"), test::Reply::completion("no"), test::Reply::completion("[[11]]"),
                 test::Reply::completion("nope"), test::Reply::completion("still no"), test::Reply::completion("[[x]]"),
                 test::Reply::completion("-")});
  LlmConfig c;
  c.url = server.url();
  LlmClient client(c);
  LlmService llm(client);
  ReferenceModel model;
  std::vector<EvalArtifact> artifacts;
  auto m = evaluate("longbench-chat", {{"dir", bench.path.string()}, {"max_new_tokens", 3}, {"seed", 5}}, model.service(),
                    llm.table(), &artifacts);
  EXPECT_DOUBLE_EQ(m["score"], 8.0);  // (7 + 9) / 2; case 2 has no score, never a made-up one
  EXPECT_DOUBLE_EQ(m["rated"], 1);
  EXPECT_DOUBLE_EQ(m["judge_failures"], 2);  // case 2's two runs
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 9u);  // 1 + 2 for case 1, (1 + 2 retries) x 2 runs for case 2
  EXPECT_EQ(seen[0].body["temperature"], 0.0);

  // The exact prompt of case 1's first run: 3 of the 4 examples in the run's shuffled order.
  std::vector<std::string> shots = {"S1|A1|P1|3", "S2|A2|P2|6", "S3|A3|P3|9", "S4|A4|P4|1"};
  auto prompt_for = [&](uint64_t run) {
    std::vector<std::string> order = shots;
    Rng rng(5 * 1000003 + 0 * 101 + run);
    shuffle(order, rng);
    std::string few;
    for (size_t k = 0; k < 3; ++k) {
      std::vector<std::string> f;
      std::stringstream in(order[k]);
      for (std::string x; std::getline(in, x, '|');) f.push_back(x);
      few += (k ? "\n\n" : "") + std::string("[Question]\n") + f[0] + "\n\n[Reference answer]\n" + f[1] +
             "\n\n[AI assistant's answer]\n" + f[2] + "\n\nRating: [[" + f[3] + "]]";
    }
    return few;
  };
  const std::string prediction = nlohmann::json::parse(artifacts.at(0).data)[0]["prediction"];
  EXPECT_EQ(seen[0].body["messages"][0]["content"],
            "Rate it.\n" + prompt_for(0) + "\n\n[Question]\nQ1?\n\n[Reference answer]\nR1\n\n[AI assistant's answer]\n" + prediction +
                "\n\nRating:");
  EXPECT_NE(seen[1].body["messages"][0]["content"], seen[0].body["messages"][0]["content"]) << "run 2 reorders the examples";
  EXPECT_EQ(seen[1].body["messages"][0]["content"].get<std::string>().find(prompt_for(1)), 9u);
}

TEST(LongBenchChat, WithoutAJudgeRougeAndExactMatchUnderTheirNames) {
  ChatBench bench;
  ReferenceModel model;
  auto m = evaluate("longbench-chat", {{"dir", bench.path.string()}, {"max_new_tokens", 3}}, model.service());
  EXPECT_DOUBLE_EQ(m["rouge_l"], 0);  // a reply of spaces
  EXPECT_DOUBLE_EQ(m["exact_match"], 0);
  EXPECT_FALSE(m.count("score"));
  EXPECT_DOUBLE_EQ(m["cases"], 2);
  // Answering "R1 it is" to both: ROUGE-L 2 * (1/3) * 1 / (1/3 + 1) = 1/2 against "R1", 0 against
  // "R2"; the mean 1/4. Answering "R1": exact on one case of two.
  ReferenceModel r1_it_is(4096, "R1 it is");
  m = evaluate("longbench-chat", {{"dir", bench.path.string()}, {"max_new_tokens", 16}}, r1_it_is.service());
  EXPECT_DOUBLE_EQ(m["rouge_l"], 0.25);
  EXPECT_DOUBLE_EQ(m["exact_match"], 0);
  ReferenceModel r1(4096, "R1");
  m = evaluate("longbench-chat", {{"dir", bench.path.string()}, {"max_new_tokens", 16}}, r1.service());
  EXPECT_DOUBLE_EQ(m["exact_match"], 0.5);
  EXPECT_DOUBLE_EQ(m["rouge_l"], 0.5);
  try {
    evaluate("longbench-chat", {{"dir", (bench.path / "nothing").string()}}, model.service());
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("test_cases.json: cannot read"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace longalign::host
