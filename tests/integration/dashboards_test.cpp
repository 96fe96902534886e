// The results dashboard against a real results DB: every SQL query of dashboards/results.json
// runs on the file a real sweep wrote (two batching arms, held-out examples) and returns rows.
// (The live dashboard's PromQL runs against a real Prometheus in metrics_endpoint_test.cpp.)
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "store/sqlite.h"
#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

// Every query a dashboard's panels send to the given datasource type.
std::vector<std::string> dashboard_queries(const std::string& file, const std::string& type, const std::string& field) {
  nlohmann::json d = nlohmann::json::parse(std::ifstream(file));
  std::vector<std::string> out;
  for (auto& p : d["panels"])
    for (auto& t : p["targets"])
      if (t["datasource"]["type"] == type) out.push_back(t[field]);
  return out;
}

TEST(Dashboards, EveryResultsQueryReturnsRowsFromARealResultsDb) {
  test::ScratchDir d("dashboards");
  std::ofstream(d.path / "arms.toml") << R"(name = "arms"
[config]
train.sequences_per_step = 4
eval.heldout = 4
checkpoint.save = false
[grid]
"batching.plugin" = ["naive", "packing"]
[[data]]
source = "synthetic-copy"
params = { count = 24 }
)";
  ProcessResult r = run_process({test::kBin.string(), "run", (d.path / "arms.toml").string(), "--db", (d.path / "arms.sqlite").string()},
                                std::chrono::seconds(120));
  ASSERT_TRUE(r.ok()) << r.err;
  auto queries = dashboard_queries(LONGALIGN_SOURCE_DIR "/dashboards/results.json", "frser-sqlite-datasource", "rawQueryText");
  ASSERT_GE(queries.size(), 5u);
  Database db((d.path / "arms.sqlite").string(), false);
  for (auto& q : queries) {
    auto s = db.prepare(q);
    EXPECT_TRUE(s.step()) << "no rows: " << q;
  }
}

}  // namespace
}  // namespace longalign::host
