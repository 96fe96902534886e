// Evaluations in a cell, end to end: after training, each [[evaluate]] entry runs on the trained
// model through the model service, with the examples its `data` names; its metrics land under
// its own evaluation id with their tags, its artifacts beside them; an evaluator that fails is
// recorded as failed with its error while the cell and the other evaluations finish.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <optional>
#include <map>

#include "store/store.h"
#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

TEST(Evaluation, EachEntryRunsOnTheTrainedModelUnderItsOwnId) {
  test::ScratchDir dir("evaluation");
  std::ofstream(dir.path / "s.toml") << R"(name = "evals"
seeds = [0]
[config]
train.max_tokens = 512
train.epochs = 1
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
  EXPECT_GT(got["perplexity"]["perplexity{}"], 1.0);
  EXPECT_LT(got["perplexity"]["perplexity{}"], 259.0 * 4);

  auto cell = store.db().prepare("SELECT cell_id, status FROM runs");
  ASSERT_TRUE(cell.step());
  EXPECT_EQ(cell.text_at(1), "done");
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
[[data]]
name = "chat"
source = "synthetic-chat"
params = { count = 64 }
[[evaluate]]
name = "acc"
evaluator = "task-accuracy"
params = { max_new_tokens = 4 }
data = { source = "synthetic-chat", params = { count = 4 } }
)";
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
