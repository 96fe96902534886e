// `longalign report` checked cell by cell against the DB: groups of seeds, means, standard
// deviations and intervals recomputed here, and differences paired by seed; the CSV and JSON
// agree with them; the PNGs are PNGs; --columns and --paired-with name what they cannot find.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <tuple>

#include "store/store.h"
#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

TEST(Report, TablesAgreeWithTheDbAndPlotsAreDrawn) {
  test::ScratchDir dir("report");
  std::ofstream(dir.path / "s.toml") << R"(name = "rep"
seeds = [0, 1]
[config]
train.max_tokens = 512
[grid]
"train.lr" = [0.001, 0.004]
[[data]]
name = "chat"
source = "synthetic-chat"
params = { count = 48 }
[[evaluate]]
name = "needle"
evaluator = "needle"
params = { lengths = [96, 192], depths = [0.0, 0.5, 1.0], max_new_tokens = 6 }
data = { source = "synthetic-chat", params = { count = 30 } }
[[evaluate]]
name = "ruler"
evaluator = "ruler"
params = { tasks = ["niah_single_1", "vt"], lengths = [384, 512], samples = 2, max_new_tokens = 8 }
)";
  const std::string db = (dir.path / "r.sqlite").string();
  auto run = dir.run_sweep();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto rep = dir.longalign({"report", db, "--format", "json", "--out", (dir.path / "out").string()});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  auto j = nlohmann::json::parse(rep.out);
  ASSERT_EQ(j["groups"].size(), 2u);
  EXPECT_EQ(j["groups"][0]["grid"]["train.lr"], 0.001);

  Store store(db, OpenMode::kExisting);
  for (auto& g : j["groups"]) {
    ASSERT_EQ(g["cells"].size(), 2u);
    for (const char* column : {"heldout.loss", "train.final_loss", "needle.accuracy"}) {
      if (std::string(column) == "heldout.loss") continue;  // eval.heldout is 0 here: no such column
      std::vector<double> v;
      for (auto& c : g["cells"]) {
        const std::string id = c["cell_id"];
        if (std::string(column) == "needle.accuracy") {
          auto q = store.db().prepare("SELECT value FROM eval_results WHERE cell_id = ?1 AND metric = 'accuracy' AND tags_json = '{}'");
          q.bind(1, id);
          ASSERT_TRUE(q.step());
          v.push_back(q.real_at(0));
        } else {
          for (auto& [name, value] : store.run_metrics(id))
            if (name == column) v.push_back(value);
        }
      }
      ASSERT_EQ(v.size(), 2u) << column;
      const double mean = (v[0] + v[1]) / 2, sd = std::fabs(v[0] - v[1]) / std::sqrt(2.0);
      auto& s = g["columns"][column];
      EXPECT_NEAR(s["mean"].get<double>(), mean, 1e-9) << column;
      EXPECT_NEAR(s["std"].get<double>(), sd, 1e-9) << column;
      EXPECT_NEAR(s["ci95"][1].get<double>() - mean, 12.706 * sd / std::sqrt(2.0), 1e-6) << column;  // t(0.975, 1)
    }
  }

  // Effective lengths, from each cell's accuracy by length (85% of the shortest's kept), then
  // summarised over seeds; in report.json, not in the table unless --columns names them.
  for (auto& g : j["groups"]) {
    std::vector<double> v;
    for (auto& c : g["cells"]) {
      std::map<std::string, double> by_length;
      auto q = store.db().prepare("SELECT tags_json, value FROM eval_results WHERE cell_id = ?1 AND metric = 'accuracy' AND "
                                  "tags_json LIKE '{\"length\":%' AND tags_json NOT LIKE '%depth%'");
      q.bind(1, c["cell_id"].get<std::string>());
      while (q.step()) by_length[nlohmann::json::parse(q.text_at(0))["length"]] = q.real_at(1);
      ASSERT_EQ(by_length.size(), 2u);
      const double a96 = by_length["96"], a192 = by_length["192"];
      v.push_back(a96 == 0 ? 0 : a192 >= 0.85 * a96 ? 192 : 96);
    }
    EXPECT_DOUBLE_EQ(g["columns"]["needle.accuracy.effective_length"]["mean"].get<double>(), (v[0] + v[1]) / 2);
    for (const char* column : {"ruler.score.effective_length", "ruler.score.vt.effective_length", "ruler.score.niah_single_1.effective_length"})
      EXPECT_TRUE(g["columns"].contains(column)) << column;
  }
  for (const char* column : {"needle.accuracy.effective_length", "ruler.score.vt.effective_length"}) {
    EXPECT_NE(std::find(j["columns"].begin(), j["columns"].end(), column), j["columns"].end()) << column;
    EXPECT_EQ(std::find(j["table_columns"].begin(), j["table_columns"].end(), column), j["table_columns"].end()) << column;
  }

  // The rule on values set here: 0.8 then 0.7 keeps 85% of 0.8 (effective 192), 0.8 then 0.6
  // does not (96); the group's mean is 144.
  {
    const std::string first = j["groups"][0]["cells"][0]["cell_id"], second = j["groups"][0]["cells"][1]["cell_id"];
    for (auto [cell, at96, at192] : {std::tuple{first, 0.8, 0.7}, std::tuple{second, 0.8, 0.6}})
      for (auto [tags, value] : {std::pair{R"({"length":"96"})", at96}, std::pair{R"({"length":"192"})", at192}}) {
        auto u = store.db().prepare("UPDATE eval_results SET value = ?1 WHERE cell_id = ?2 AND metric = 'accuracy' AND tags_json = ?3");
        u.bind(1, value);
        u.bind(2, cell);
        u.bind(3, std::string(tags));
        u.step();
      }
    auto set = dir.longalign({"report", db, "--format", "json", "--no-plots", "--out", (dir.path / "set").string()});
    ASSERT_EQ(set.exit_code, 0) << set.err;
    const auto s = nlohmann::json::parse(set.out)["groups"][0]["columns"]["needle.accuracy.effective_length"];
    EXPECT_DOUBLE_EQ(s["mean"].get<double>(), 144);
    EXPECT_NEAR(s["std"].get<double>(), 96 / std::sqrt(2.0), 1e-9);
  }

  // Paired with the first group: each seed's difference, then their mean.
  auto paired = dir.longalign({"report", db, "--format", "json", "--no-plots", "--out", (dir.path / "paired").string(), "--paired-with",
                               "train.lr=0.001"});
  ASSERT_EQ(paired.exit_code, 0) << paired.err;
  auto pj = nlohmann::json::parse(paired.out);
  EXPECT_EQ(pj["baseline"], "train.lr=0.001");
  EXPECT_FALSE(pj["groups"][0].contains("paired")) << "the baseline has no differences from itself";
  auto loss_of = [&](const nlohmann::json& group, size_t seed) -> double {
    for (auto& [name, value] : store.run_metrics(group["cells"][seed]["cell_id"].get<std::string>()))
      if (name == "train.final_loss") return value;
    return NAN;
  };
  const double d0 = loss_of(pj["groups"][1], 0) - loss_of(pj["groups"][0], 0), d1 = loss_of(pj["groups"][1], 1) - loss_of(pj["groups"][0], 1);
  EXPECT_NEAR(pj["groups"][1]["paired"]["train.final_loss"]["mean"].get<double>(), (d0 + d1) / 2, 1e-9);
  EXPECT_NEAR(pj["groups"][1]["paired"]["train.final_loss"]["std"].get<double>(), std::fabs(d0 - d1) / std::sqrt(2.0), 1e-9);
  auto table = dir.longalign({"report", db, "--format", "table", "--no-plots", "--out", (dir.path / "paired").string(), "--paired-with",
                              "train.lr=0.001", "--columns", "train.final_loss"});
  EXPECT_NE(table.out.find("\nPaired with train.lr=0.001, seed by seed: the mean difference ± std [95% interval].\n\n"
                           "| cells | seeds | train.final_loss |\n| --- | --- | --- |\n| train.lr=0.004 | 2 | "),
            std::string::npos)
      << table.out;
  auto unknown = dir.longalign({"report", db, "--no-plots", "--out", (dir.path / "paired").string(), "--paired-with", "train.lr=0.01"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--paired-with: no group 'train.lr=0.01' in this report"), std::string::npos) << unknown.err;

  std::ifstream csv(dir.path / "out" / "report.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "group,column,n,mean,std,ci_low,ci_high");
  std::ifstream md(dir.path / "out" / "report.md");
  std::string text((std::istreambuf_iterator<char>(md)), {});
  EXPECT_NE(text.find("| train.lr=0.001 | 2 |"), std::string::npos) << text;
  for (auto* png : {"loss.png", "throughput.png", "needle-needle-1.png", "needle-needle-2.png", "needle-needle-char_match-1.png",
                    "length-needle-accuracy.png", "length-ruler-score.png", "length-ruler-score-vt.png"}) {
    std::ifstream f(dir.path / "out" / png, std::ios::binary);
    char magic[8] = {};
    f.read(magic, 8);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG") << png;
  }
}

TEST(Report, ColumnsChooseTheTableAndAnUnknownOneIsNamed) {
  test::ScratchDir dir("report-columns");
  std::ofstream(dir.path / "s.toml") << R"(name = "cols"
[config]
train.max_tokens = 512
eval.heldout = 4
[[data]]
name = "chat"
source = "synthetic-chat"
params = { count = 40 }
[[evaluate]]
name = "ppl"
evaluator = "perplexity"
)";
  ASSERT_EQ(dir.run_sweep().exit_code, 0);
  const std::string db = (dir.path / "r.sqlite").string(), out = (dir.path / "out").string();
  // Every metric an evaluator reports is a column of report.json (and .csv); the table leaves out
  // its counts and time unless --columns names them.
  auto all = dir.longalign({"report", db, "--format", "json", "--no-plots", "--out", out});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const auto j = nlohmann::json::parse(all.out);
  for (auto* column : {"ppl.nll_per_token", "ppl.perplexity", "ppl.tokens", "ppl.seconds", "heldout.loss"})
    EXPECT_NE(std::find(j["columns"].begin(), j["columns"].end(), column), j["columns"].end()) << column;
  EXPECT_EQ(j["groups"][0]["columns"]["ppl.tokens"]["mean"], 93) << "the two default texts' scored tokens";
  EXPECT_EQ(j["table_columns"], nlohmann::json::parse(
                                    R"(["ppl.nll_per_token", "ppl.perplexity", "heldout.loss", "heldout.sequence_loss", "train.final_loss", "train.target_tokens_per_s", "train.hours"])"));
  std::ifstream csv(dir.path / "out" / "report.csv");
  std::string text((std::istreambuf_iterator<char>(csv)), {});
  EXPECT_NE(text.find("\"(base)\",ppl.tokens,1,93,"), std::string::npos) << text;
  auto tokens = dir.longalign({"report", db, "--format", "table", "--no-plots", "--out", out, "--columns", "ppl.tokens"});
  EXPECT_EQ(tokens.out.rfind("| cells | seeds | ppl.tokens |\n| --- | --- | --- |\n| (base) | 1 | 93 |", 0), 0u) << tokens.out;

  auto r = dir.longalign({"report", db, "--format", "table", "--no-plots", "--out", out, "--columns", "train.final_loss,heldout.loss"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("| cells | seeds | train.final_loss | heldout.loss |\n| --- | --- | --- | --- |\n| (base) | 1 | ", 0), 0u) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3);

  r = dir.longalign({"report", db, "--no-plots", "--out", out, "--columns", "heldout.los"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--columns: no column 'heldout.los' in this report (did you mean 'heldout.loss'?) (its columns: ppl.nll_per_token, "
                       "ppl.perplexity, ppl.seconds, ppl.tokens, heldout.loss, heldout.sequence_loss, train.final_loss, "
                       "train.target_tokens_per_s, train.hours)"),
            std::string::npos)
      << r.err;
}

TEST(Report, ACellSharedByTwoSweepsBelongsToBoth) {
  test::ScratchDir dir("report-shared");
  const std::string data = "[[data]]\nsource = \"synthetic-copy\"\nparams = { count = 24 }\n";
  std::ofstream(dir.path / "a.toml") << "name = \"a\"\n[config]\ncheckpoint.save = false\n[grid]\n\"train.lr\" = [0.001, 0.002]\n" << data;
  std::ofstream(dir.path / "b.toml") << "name = \"b\"\n[config]\ncheckpoint.save = false\ntrain.lr = 0.002\n" << data;
  const std::string db = (dir.path / "r.sqlite").string();
  auto report = [&](const std::string& sweep) {
    auto r = dir.longalign({"report", db, "--sweep", sweep, "--format", "json", "--no-plots", "--out", (dir.path / sweep).string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  };
  ASSERT_EQ(dir.longalign({"run", (dir.path / "a.toml").string(), "--db", db}).exit_code, 0);
  const nlohmann::json a_before = report("a");
  ASSERT_EQ(a_before["groups"].size(), 2u);
  auto b = dir.longalign({"run", (dir.path / "b.toml").string(), "--db", db});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(b.err.find("1 cells, 0 to run, 1 already done or skipped"), std::string::npos) << "b's one cell is a's lr=0.002 cell: " << b.err;
  EXPECT_EQ(report("a"), a_before) << "running b takes nothing from a";
  const nlohmann::json b_report = report("b");
  ASSERT_EQ(b_report["groups"].size(), 1u);
  EXPECT_EQ(b_report["groups"][0]["cells"][0]["cell_id"], a_before["groups"][1]["cells"][0]["cell_id"]);
  EXPECT_EQ(b_report["groups"][0]["grid"], nlohmann::json::object()) << "b's own grid values: none";
  auto both = dir.longalign({"report", db, "--no-plots", "--out", (dir.path / "both").string()});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find(db + ": holds several sweeps (a, b): name one with --sweep"), std::string::npos) << both.err;
}

TEST(Report, AMissingFileIsBadInput) {
  auto r = run_process({test::kBin.string(), "report", "/no/such.sqlite"}, std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/no/such.sqlite: no such file"), std::string::npos);
}

}  // namespace
}  // namespace longalign::host
