// Evaluations in a cell, end to end: after training, each [[evaluate]] entry runs on the trained
// model through the model service, with the examples its `data` names; its metrics land under
// its own evaluation id with their tags, its artifacts beside them; an evaluator that fails is
// recorded as failed with its error while the cell and the other evaluations finish.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <map>
#include <vector>

#include "store/store.h"
#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

// 64 chats to train on, and task accuracy on 4 more.
constexpr const char* kChatsAndAccuracy = R"([[data]]
name = "chat"
source = "synthetic-chat"
params = { count = 64 }
[[evaluate]]
name = "acc"
evaluator = "task-accuracy"
params = { max_new_tokens = 4 }
data = { source = "synthetic-chat", params = { count = 4 } }
)";

TEST(Evaluation, EachEntryRunsOnTheTrainedModelUnderItsOwnId) {
  test::ScratchDir dir("evaluation");
  std::ofstream(dir.path / "s.toml") << R"(name = "evals"
seeds = [0]
[config]
train.max_tokens = 512
train.epochs = 4
train.lr = 0.005
[[data]]
name = "chat"
source = "synthetic-chat"
params = { count = 64 }
[[evaluate]]
name = "acc"
evaluator = "task-accuracy"
params = { max_new_tokens = 8 }
data = { source = "synthetic-chat", params = { count = 12, tasks = ["add", "to-binary"] } }
[[evaluate]]
name = "needle"
evaluator = "needle"
params = { lengths = [128, 256], depths = [0.0, 1.0], max_new_tokens = 6 }
data = { source = "synthetic-chat", params = { count = 40 } }
[[evaluate]]
name = "ppl"
evaluator = "perplexity"
[[evaluate]]
name = "no-data"
evaluator = "task-accuracy"
)";
  auto r = dir.run_sweep();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Store store((dir.path / "r.sqlite").string(), OpenMode::kExisting);
  auto q = store.db().prepare("SELECT evaluator, metric, tags_json, value, eval_id FROM eval_results ORDER BY evaluator, metric, tags_json");
  std::map<std::string, std::map<std::string, double>> got;  // evaluator -> metric+tags -> value
  std::set<std::string> ids;
  while (q.step()) {
    got[q.text_at(0)][q.text_at(1) + q.text_at(2)] = q.real_at(3);
    ids.insert(q.text_at(4));
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(got["task-accuracy"]["examples{}"], 12);
  EXPECT_EQ(got["task-accuracy"]["examples{\"task\":\"add\"}"] + got["task-accuracy"]["examples{\"task\":\"to-binary\"}"], 12);
  EXPECT_TRUE(got["task-accuracy"].count("accuracy{}"));
  EXPECT_EQ(got["task-accuracy"]["failed{\"error\":\"plugin 'task-accuracy' evaluate failed: no examples: give the evaluation data = { source = ... }\"}"], 1);
  for (auto* key : {"accuracy{\"depth\":\"0.000\",\"length\":\"128\"}", "accuracy{\"depth\":\"1.000\",\"length\":\"256\"}",
                    "accuracy{\"length\":\"128\"}", "accuracy{}"})
    EXPECT_TRUE(got["needle"].count(key)) << key;
  // Perplexity: exp of the mean next-token loss on its two default texts, each conditioned on
  // its first byte, computed here from the log-probs that the float64 Python reference
  // (tests/reference/llama_reference.py) gives with the cell's trained weights. Trained, the
  // model is sure of some bytes and not of others, so a wrong convention would show.
  auto cell = store.db().prepare("SELECT cell_id FROM runs");
  ASSERT_TRUE(cell.step());
  const auto model_dir = dir.path / "evals" / "cells" / cell.text_at(0) / "model";
  double nll = 0, tokens = 0, lowest = 0, highest = -1e9;
  for (std::string text : {"The quick brown fox jumps over the lazy dog.", "Long context alignment needs long instruction data."}) {
    std::string ids;
    for (unsigned char c : text) ids += (ids.empty() ? "" : ",") + std::to_string(c);
    auto ref = run_process({"/usr/bin/python3", LONGALIGN_SOURCE_DIR "/tests/reference/llama_reference.py", model_dir.string(), ids},
                           std::chrono::seconds(120));
    ASSERT_TRUE(ref.ok()) << ref.err;
    for (double lp : nlohmann::json::parse(ref.out)) nll -= lp, ++tokens, lowest = std::min(lowest, lp), highest = std::max(highest, lp);
  }
  EXPECT_EQ(tokens, 43 + 50);
  EXPECT_GT(highest - lowest, 3.0) << "log-probs from " << lowest << " to " << highest << ": still about uniform";
  EXPECT_NEAR(got["perplexity"]["perplexity{}"], std::exp(nll / tokens), 1e-4 * std::exp(nll / tokens));
  EXPECT_EQ(got["perplexity"]["tokens{}"], tokens);

  auto status = store.db().prepare("SELECT status FROM runs");
  ASSERT_TRUE(status.step());
  EXPECT_EQ(status.text_at(0), "done");
  auto art = store.db().prepare("SELECT name, length(data) FROM artifacts WHERE eval_id != '' ORDER BY name");
  std::map<std::string, int64_t> artifacts;
  while (art.step()) artifacts[art.text_at(0)] = art.int_at(1);
  EXPECT_GT(artifacts["predictions.jsonl"], 0);
  EXPECT_GT(artifacts["needle.csv"], 0);
}

// train.epochs = 0: the cell trains nothing and evaluates the weights it starts from (the
// untrained control of a sweep), with held-out loss and no training figures.
TEST(Evaluation, ACellOfNoEpochsEvaluatesItsStartingWeights) {
  test::ScratchDir dir("untrained");
  std::ofstream(dir.path / "s.toml") << R"(name = "untrained"
seeds = [0]
[config]
train.max_tokens = 256
eval.heldout = 8
[grid]
"train.epochs" = [0, 2]
)" + std::string(kChatsAndAccuracy);
  auto r = dir.run_sweep();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Store store((dir.path / "r.sqlite").string(), OpenMode::kExisting);
  auto metric = [&](int epochs, const std::string& name) -> std::optional<double> {
    auto q = store.db().prepare(
        "SELECT m.value FROM run_metrics m JOIN runs r USING (cell_id) WHERE json_extract(r.grid_json, '$.\"train.epochs\"') = ?1 "
        "AND m.name = ?2 AND r.status = 'done'");
    q.bind(1, static_cast<int64_t>(epochs));
    q.bind(2, name);
    if (!q.step()) return std::nullopt;
    return q.real_at(0);
  };
  ASSERT_TRUE(metric(0, "heldout.loss") && metric(2, "heldout.loss"));
  EXPECT_NEAR(*metric(0, "heldout.loss"), std::log(259.0), 0.2) << "random weights: about uniform over the vocabulary";
  EXPECT_LT(*metric(2, "heldout.loss"), *metric(0, "heldout.loss") - 0.5);
  EXPECT_FALSE(metric(0, "train.final_loss"));
  EXPECT_TRUE(metric(2, "train.final_loss"));
  auto evals = store.db().prepare("SELECT count(DISTINCT cell_id) FROM eval_results WHERE metric = 'accuracy'");
  ASSERT_TRUE(evals.step());
  EXPECT_EQ(evals.int_at(0), 2) << "both cells were evaluated";
}

// eval.every_steps: the entries eval.during names run on the model in training every N steps,
// their headline metrics stored by step; the model they see is the one being trained (its
// perplexity falls from one evaluation to the next), and their time is the cell's eval_seconds.
TEST(Evaluation, EveryStepsEvaluatesTheModelInTrainingByStep) {
  test::ScratchDir dir("eval-during");
  std::ofstream(dir.path / "s.toml") << R"(name = "during"
seeds = [0]
[config]
train.max_tokens = 256
train.sequences_per_step = 8
train.epochs = 2
train.lr = 0.003
eval.every_steps = 4
eval.during = ["acc", "ppl"]
)" + std::string(kChatsAndAccuracy) + R"([[evaluate]]
name = "ppl"
evaluator = "perplexity"
data = { source = "synthetic-chat", params = { count = 8 } }
[[evaluate]]
name = "after"
evaluator = "task-accuracy"
params = { max_new_tokens = 4 }
data = { source = "synthetic-chat", params = { count = 2 } }
)";
  auto r = dir.run_sweep();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Store store((dir.path / "r.sqlite").string(), OpenMode::kExisting);
  std::map<std::string, std::map<int64_t, double>> by_step;  // name -> step -> value
  auto q = store.db().prepare("SELECT name, step, value FROM step_metrics WHERE name LIKE 'eval%'");
  while (q.step()) by_step[q.text_at(0)][q.int_at(1)] = q.real_at(2);
  const std::map<int64_t, double> none;
  auto steps = [&](const std::string& name) {
    std::vector<int64_t> out;
    for (auto& [step, v] : by_step.count(name) ? by_step[name] : none) out.push_back(step);
    return out;
  };
  // 64 examples, 8 a step, 2 epochs: 16 steps; the last one's evaluation is the final one.
  EXPECT_EQ(steps("eval.acc.accuracy"), (std::vector<int64_t>{4, 8, 12}));
  EXPECT_EQ(steps("eval.ppl.perplexity"), (std::vector<int64_t>{4, 8, 12}));
  EXPECT_EQ(steps("eval_seconds"), (std::vector<int64_t>{4, 8, 12}));
  EXPECT_EQ(by_step["eval.acc.examples"][8], 4);
  EXPECT_TRUE(steps("eval.after.accuracy").empty()) << "eval.during leaves it to the end";
  ASSERT_EQ(by_step["eval.ppl.perplexity"].size(), 3u);
  EXPECT_GT(by_step["eval.ppl.perplexity"][4], by_step["eval.ppl.perplexity"][12]) << "the model in training, not the initial one";
  double seconds = 0;
  for (auto& [step, v] : by_step["eval_seconds"]) seconds += v;
  EXPECT_GT(seconds, 0);
  EXPECT_NEAR(test::run_metric(dir.path / "r.sqlite", "train.eval_seconds"), seconds, 1e-9);
  auto after = store.db().prepare("SELECT count(*) FROM eval_results WHERE metric = 'accuracy' AND tags_json = '{}'");
  ASSERT_TRUE(after.step());
  EXPECT_EQ(after.int_at(0), 2) << "acc and after, once each, after training";

  auto report = dir.longalign({"report", (dir.path / "r.sqlite").string(), "--out", (dir.path / "out").string()});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  for (auto* png : {"eval-acc-accuracy.png", "eval-ppl-perplexity.png"}) {
    std::ifstream f(dir.path / "out" / png, std::ios::binary);
    char magic[8] = {};
    f.read(magic, 8);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG") << png;
  }

  // An entry eval.during names that the sweep does not have is bad input, named where it is.
  std::ofstream(dir.path / "bad.toml") << R"(name = "bad"
[config]
eval.every_steps = 4
eval.during = ["accuracy"]
[[data]]
source = "synthetic-chat"
[[evaluate]]
name = "acc"
evaluator = "task-accuracy"
)";
  auto bad = dir.longalign({"plan", (dir.path / "bad.toml").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.toml:4:6: key 'eval.during': no [[evaluate]] entry named \"accuracy\" (there are: acc)"),
            std::string::npos) << bad.err;
}

TEST(Evaluation, EvalAddsAnEvaluationToDoneCellsWithoutTraining) {
  test::ScratchDir dir("eval-verb");
  const std::string base = R"(name = "later"
seeds = [0, 1]
[config]
train.max_tokens = 256
[[data]]
name = "chat"
source = "synthetic-chat"
params = { count = 32 }
)";
  std::ofstream(dir.path / "s.toml") << base;
  auto longalign = [&](const std::string& verb) {
    return dir.longalign({verb, (dir.path / "s.toml").string(), "--db", (dir.path / "r.sqlite").string()});
  };
  ASSERT_EQ(longalign("run").exit_code, 0);
  std::map<std::string, std::string> finished;
  {
    Store store((dir.path / "r.sqlite").string(), OpenMode::kExisting);
    auto q = store.db().prepare("SELECT cell_id, finished_at FROM runs");
    while (q.step()) finished[q.text_at(0)] = q.text_at(1);
  }
  std::ofstream(dir.path / "s.toml", std::ios::app) << R"(
[[evaluate]]
name = "acc"
evaluator = "task-accuracy"
params = { max_new_tokens = 4 }
data = { source = "corpus-tasks", params = { sources = { docs = ")" << LONGALIGN_SOURCE_DIR << R"(/README.md" }, count = 5, tasks = ["passkey"], min_chars = 200, max_chars = 300 } }
)";
  auto r = longalign("eval");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2 cells evaluated, 0 failed"), std::string::npos) << r.out;
  Store store((dir.path / "r.sqlite").string(), OpenMode::kExisting);
  for (auto& [id, at] : finished) {
    EXPECT_EQ(store.run(id)->finished_at, at) << "not trained again";
    EXPECT_EQ(store.run(id)->attempts, 1);
    auto q = store.db().prepare("SELECT value FROM eval_results WHERE cell_id = ?1 AND metric = 'examples' AND tags_json = '{}'");
    q.bind(1, id);
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.real_at(0), 5);
  }
  auto again = longalign("eval");
  EXPECT_NE(again.out.find("0 cells evaluated"), std::string::npos) << again.out;  // results there: skipped
  auto report = dir.longalign({"report", (dir.path / "r.sqlite").string(), "--format", "json", "--no-plots", "--out",
                               (dir.path / "report").string()});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(nlohmann::json::parse(report.out)["groups"][0]["columns"]["acc.accuracy"]["n"], 2) << "the report finds the added evaluation";
}

}  // namespace
}  // namespace longalign::host
