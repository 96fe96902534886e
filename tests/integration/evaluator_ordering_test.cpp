// The evaluators order models as they should, end to end, on the quickstart sweep as the README
// runs it (means over its two seeds: a minute of bf16 training on a tiny model lands a seed's
// scores anywhere within a few hundredths of each other): a tiny model trained on pass-key chats
// against the same sweep's untrained cells (train.epochs = 0), and against itself asked without
// the document (task-accuracy's remove_document) or without the needle (needle's
// without_needle). Exact answers are out of reach of a model trained for a minute; char_match
// (the share of the key's digits in place) and the held-out loss are what move.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

TEST(EvaluatorOrdering, TrainedBeatsUntrainedAndItselfWithoutTheDocument) {
  test::ScratchDir dir("ordering");
  // The README shows what this checks.
  auto r = dir.longalign({"run", LONGALIGN_SOURCE_DIR "/experiments/quickstart.toml", "--db", (dir.path / "r.sqlite").string()},
                         std::chrono::seconds(900));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Store store((dir.path / "r.sqlite").string(), OpenMode::kExisting);
  std::map<std::string, int> epochs_of;  // cell -> train.epochs
  auto cells = store.db().prepare("SELECT cell_id, json_extract(grid_json, '$.\"train.epochs\"') FROM runs WHERE status = 'done'");
  while (cells.step()) epochs_of[cells.text_at(0)] = static_cast<int>(cells.int_at(1));
  ASSERT_EQ(epochs_of.size(), 4u);  // untrained and trained, two seeds each
  std::map<std::string, std::string> name_of_eval;  // evaluation id -> its entry's name, from the cells' specs
  for (auto& [cell, epochs] : epochs_of) {
    std::ifstream spec(dir.path / "quickstart" / "cells" / cell / "spec.json");
    ASSERT_TRUE(spec) << "no spec.json for " << cell;
    const auto j = nlohmann::json::parse(spec);
    for (auto& [name, id] : j["eval_ids"].items()) name_of_eval[id.get<std::string>()] = name;
  }
  // (epochs, entry) -> metric -> the seeds' values, overall (untagged)
  std::map<std::pair<int, std::string>, std::map<std::string, std::vector<double>>> m;
  auto q = store.db().prepare("SELECT cell_id, eval_id, metric, value FROM eval_results WHERE tags_json = '{}'");
  while (q.step()) m[{epochs_of[q.text_at(0)], name_of_eval[q.text_at(1)]}][q.text_at(2)].push_back(q.real_at(3));
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return sum / static_cast<double>(v.size());
  };
  auto at = [&](int epochs, const std::string& eval, const std::string& metric) {
    const auto& got = m[std::make_pair(epochs, eval)];
    auto it = got.find(metric);
    EXPECT_TRUE(it != got.end() && it->second.size() == 2) << eval << "." << metric << " at " << epochs << " epochs";
    return it == got.end() ? -1.0 : mean(it->second);
  };
  for (auto& [key, metrics] : m)  // what the ordering rests on, in the test's log
    for (auto& [metric, values] : metrics)
      std::printf("epochs=%d %s.%s = %.4f (mean of %zu)\n", key.first, key.second.c_str(), metric.c_str(), mean(values), values.size());
  for (const char* eval : {"tasks", "needle"}) {
    const std::string control = std::string(eval) == "tasks" ? "tasks-nodoc" : "needle-without";
    const double trained = at(1, eval, "char_match"), without = at(1, control, "char_match"), untrained = at(0, eval, "char_match");
    EXPECT_GT(trained, without + 0.04) << eval << ": the trained model finds digits of the key in its context";
    EXPECT_GT(trained, untrained + 0.1) << eval;
    EXPECT_GE(at(1, eval, "accuracy"), at(0, eval, "accuracy")) << eval;
  }
  auto heldout = [&](int epochs) {
    std::vector<double> values;
    for (auto& [cell, e] : epochs_of) {
      if (e != epochs) continue;
      auto h = store.db().prepare("SELECT value FROM run_metrics WHERE name = 'heldout.loss' AND cell_id = ?1");
      h.bind(1, cell);
      values.push_back(h.step() ? h.real_at(0) : std::nan(""));  // a missing loss fails the check
    }
    return mean(values);
  };
  EXPECT_LT(heldout(1), heldout(0) - 2.0) << "the held-out answers' loss falls far below random weights'";
}

}  // namespace
}  // namespace longalign::host
