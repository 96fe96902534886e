// The reproduction's ablation sweeps (experiments/*.toml), each scaled down to seconds and run
// end to end through the real binary and plugins from a small base of its own, its report's
// numbers checked against the DB; and the README's results tables, which must be exactly what
// `longalign report` makes of the committed results files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "store/store.h"
#include "sweep/resolve.h"
#include "test_dirs.h"
#include "util/read_file.h"

namespace longalign::host {
namespace {

const std::string kSource = LONGALIGN_SOURCE_DIR;

// The shipped sweep with each `from` replaced by its `to`; every `from` must occur, so a sweep
// that changes under the test fails here instead of running at full size.
std::string scaled(std::string text, const std::vector<std::pair<std::string, std::string>>& edits) {
  for (auto& [from, to] : edits) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "the sweep no longer has: " << from;
    if (at == std::string::npos) continue;
    size_t pos = 0;
    while ((pos = text.find(from, pos)) != std::string::npos) text.replace(pos, from.size(), to), pos += to.size();
  }
  return text;
}

// A cell's headline value of METRIC from its evaluation ENTRY (an evaluation's id is the content
// id of the cell and the entry's config, as the report maps it).
double eval_value(Store& store, const std::string& cell, const std::string& entry, const std::string& metric) {
  auto c = store.db().prepare("SELECT params_json FROM runs WHERE cell_id = ?1");
  c.bind(1, cell);
  if (!c.step()) return NAN;
  const auto config = nlohmann::json::parse(c.text_at(0));
  auto q = store.db().prepare("SELECT value FROM eval_results WHERE eval_id = ?1 AND metric = ?2 AND tags_json = '{}'");
  q.bind(1, content_id({{"cell", cell}, {"evaluate", config["evaluate"][entry]}}));
  q.bind(2, metric);
  return q.step() ? q.real_at(0) : NAN;
}

// The mean over seeds, its sample standard deviation and 95% interval, computed here from the
// DB's rows rather than by the report's own code: Student's t for 1 and 2 degrees of freedom.
struct Expected {
  double mean, std, lo, hi;
};
Expected expected(const std::vector<double>& v) {
  const double n = static_cast<double>(v.size());
  double sum = 0, squares = 0;
  for (double x : v) sum += x;
  const double mean = sum / n;
  for (double x : v) squares += (x - mean) * (x - mean);
  const double sd = std::sqrt(squares / (n - 1));
  const double t = v.size() == 2 ? 12.7062 : v.size() == 3 ? 4.3027 : NAN;
  const double half = t * sd / std::sqrt(n);
  return {mean, sd, mean - half, mean + half};
}

struct Ablation {
  std::string sweep;
  std::vector<std::pair<std::string, std::string>> edits;  // besides seeds, the base and paths
  size_t groups;
  std::vector<std::string> columns;  // the report must have these
  size_t seeds = 2;                  // the sweep's first 2, or all 3
};

void PrintTo(const Ablation& a, std::ostream* os) { *os << a.sweep; }

class Ablations : public testing::TestWithParam<Ablation> {};

TEST_P(Ablations, RunScaledDownAndTheirReportMatchesTheDb) {
  const Ablation& a = GetParam();
  test::ScratchDir dir("ablation-" + a.sweep);
  // A base of its own: experiments/base.toml for one epoch, and base-long.toml on it for one
  // where the sweep starts from both.
  std::string sweep = read_file(kSource + "/experiments/" + a.sweep + ".toml");
  const auto base = dir.path / "base.sqlite", base_long = dir.path / "base-long.sqlite";
  auto r = dir.longalign({"run", kSource + "/experiments/base.toml", "--db", base.string(), "--set", "config.train.epochs=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const bool starts_from_both = sweep.find("\"../results/base.sqlite\"") != std::string::npos;
  if (starts_from_both) {
    r = dir.longalign({"run", kSource + "/experiments/base-long.toml", "--db", base_long.string(), "--set", "config.train.epochs=1",
                       "--set", "config.model.init_from=\"" + base.string() + "\""});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto edits = a.edits;
  edits.insert(edits.begin(), {"\"../results/base-long.sqlite\"", "\"" + (starts_from_both ? base_long : base).string() + "\""});
  if (a.seeds == 2 && sweep.find("seeds = [0, 1, 2]") != std::string::npos) edits.insert(edits.begin(), {"seeds = [0, 1, 2]", "seeds = [0, 1]"});
  if (starts_from_both) edits.insert(edits.begin(), {"\"../results/base.sqlite\"", "\"" + base.string() + "\""});
  sweep = scaled(sweep, edits);
  // Paths relative to experiments/, from the scratch dir.
  for (size_t at = 0; (at = sweep.find("\"../", at)) != std::string::npos;) sweep.replace(at, 4, "\"" + kSource + "/");
  std::ofstream(dir.path / "s.toml") << sweep;
  r = dir.run_sweep();
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;

  const std::string db = (dir.path / "r.sqlite").string();
  r = dir.longalign({"report", db, "--format", "json", "--no-plots", "--out", (dir.path / "report").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["sweep"], a.sweep);
  ASSERT_EQ(report["groups"].size(), a.groups);
  for (auto& column : a.columns)
    EXPECT_NE(std::find(report["columns"].begin(), report["columns"].end(), column), report["columns"].end()) << column;

  Store store(db, OpenMode::kExisting);
  for (auto& g : report["groups"]) {
    ASSERT_EQ(g["cells"].size(), a.seeds) << "every seed of " << g["grid"].dump();
    for (auto& column : a.columns) {
      std::vector<double> values;
      for (auto& c : g["cells"]) {
        const std::string id = c["cell_id"];
        const auto dot = column.find('.');
        const std::string entry = column.substr(0, dot), metric = column.substr(dot + 1);
        if (entry == "heldout" || entry == "train") {
          for (auto& [name, value] : store.run_metrics(id))
            if (name == column) values.push_back(value);
            else if (column == "train.hours" && name == "train.seconds") values.push_back(value / 3600);
        } else {
          values.push_back(eval_value(store, id, entry, metric));
        }
      }
      ASSERT_EQ(values.size(), a.seeds) << column << " in " << g["grid"].dump();
      ASSERT_TRUE(g["columns"].contains(column)) << column << " in " << g["grid"].dump();
      const Expected e = expected(values);
      const nlohmann::json& got = g["columns"][column];
      EXPECT_EQ(got["n"], a.seeds) << column;
      EXPECT_NEAR(got["mean"].get<double>(), e.mean, 1e-9 + 1e-6 * std::fabs(e.mean)) << column;
      EXPECT_NEAR(got["std"].get<double>(), e.std, 1e-9 + 1e-6 * std::fabs(e.std)) << column;
      // The report's t table has 3 decimals: its interval agrees to a part in 10^4 of its width.
      const double half = (e.hi - e.lo) / 2;
      EXPECT_NEAR(got["ci95"][0].get<double>(), e.lo, 1e-9 + 1e-4 * half) << column;
      EXPECT_NEAR(got["ci95"][1].get<double>(), e.hi, 1e-9 + 1e-4 * half) << column;
    }
  }
}


// Each sweep at a few dozen examples, the needle at its shortest and longest length at one depth,
// one RULER case per task at one length, its recipe's 5 epochs as one with the evaluation during
// training every 4 steps, 2 seeds unless a test asks for 3.
const std::pair<std::string, std::string> kSmallRuler = {"lengths = [768, 1024, 1536], samples = 4", "lengths = [768], samples = 1"};
const std::pair<std::string, std::string> kRecipe[] = {{"train.epochs = 5", "train.epochs = 1"},
                                                       {"eval.every_steps = 1000", "eval.every_steps = 4"}};
const std::pair<std::string, std::string> kNeedleFrom128 = {
    "lengths = [128, 256, 512, 1024, 1280], depths = [0.0, 0.25, 0.5, 0.75, 1.0]", "lengths = [128, 1280], depths = [0.5]"};
const std::pair<std::string, std::string> kFewLicenseChunks = {"chunk_chars = 1000 }, count = 32", "chunk_chars = 1000 }, count = 4"};

INSTANTIATE_TEST_SUITE_P(
    Experiments, Ablations,
    testing::Values(
        Ablation{"data-amount",
                 {{"count = 12000,", "count = 60,"}, {"[0, 6000, 12000]", "[0, 30, 60]"}, {"count = 4000", "count = 40"},
                  {"count = 64", "count = 6"}, {"eval.heldout = 48", "eval.heldout = 8"}, kFewLicenseChunks,
                  kRecipe[0], kRecipe[1], kNeedleFrom128, kSmallRuler},
                 3,
                 {"long-tasks.accuracy", "long-tasks.char_match", "needle.accuracy", "needle.char_match", "ruler.score", "short-tasks.char_match",
                  "licenses.nll_per_token", "heldout.loss", "heldout.sequence_loss", "train.target_tokens_per_s"}},
        Ablation{"context-extension",
                 {{"count = 6000,", "count = 60,"}, {"count = 4000", "count = 40"}, {"count = 64", "count = 6"},
                  {"eval.heldout = 48", "eval.heldout = 8"}, kRecipe[0], kRecipe[1],
                  {"lengths = [256, 512, 768, 1024, 1280], depths = [0.0, 0.25, 0.5, 0.75, 1.0]", "lengths = [256, 1280], depths = [0.5]"},
                  kSmallRuler},
                 2,
                 {"long-tasks.accuracy", "needle.accuracy", "needle.char_match", "ruler.score", "heldout.loss"}},
        Ablation{"data-diversity",
                 {{"count = 9000,", "count = 60,"}, {"count = 4000", "count = 40"}, {"count = 64", "count = 6"},
                  {"eval.heldout = 48", "eval.heldout = 8"}, kRecipe[0], kRecipe[1], kNeedleFrom128, kSmallRuler},
                 2,
                 {"keys-licenses.accuracy", "keys-code.accuracy", "keys-unseen.accuracy", "needle-unseen.accuracy", "ruler.score",
                  "short-tasks.char_match", "heldout.loss"}},
        Ablation{"training-methods",
                 {{"count = 6000,", "count = 60,"}, {"count = 4000", "count = 40"}, {"count = 64", "count = 6"},
                  {"eval.heldout = 48", "eval.heldout = 8"}, kFewLicenseChunks, kRecipe[0], kRecipe[1], kNeedleFrom128, kSmallRuler},
                 3,
                 {"long-tasks.accuracy", "long-tasks.char_match", "needle.accuracy", "ruler.score", "short-tasks.char_match",
                  "licenses.nll_per_token", "heldout.sequence_loss", "train.target_tokens_per_s", "train.hours"}},
        Ablation{"loss-weighting",
                 {{"count = 6000,", "count = 60,"}, {"count = 1500, items = 8", "count = 15, items = 8"},
                  {"count = 48, items = 8", "count = 6, items = 8"}, {"count = 64", "count = 6"}, {"eval.heldout = 64", "eval.heldout = 8"},
                  kRecipe[0], kRecipe[1], kNeedleFrom128, kSmallRuler},
                 3,
                 {"long-tasks.accuracy", "long-tasks.char_match", "short-tasks.char_match", "needle.accuracy", "ruler.score", "heldout.loss",
                  "heldout.sequence_loss"},
                 3}),
    [](const testing::TestParamInfo<Ablation>& info) {
      std::string name = info.param.sweep;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

// A committed study planned by this build has the cell ids its results file holds, every one
// done: what a cell is (its config's JSON form, which the id hashes) has not changed under it.
// The ablations are planned from base models that are not committed (results/base*.sqlite are
// made by experiments/base*.toml), so the studies that need none stand for them.
TEST(Reproduction, TheCommittedStudysCellsAreFoundDoneByThisBuild) {
  for (auto [study, expected] : {std::pair{"recipe", 8u}, std::pair{"ruler-transfer", 4u}}) {
    test::ScratchDir dir(std::string("committed-ids-") + study);
    const std::filesystem::path db = dir.path / (std::string(study) + ".sqlite");
    std::filesystem::copy_file(kSource + "/results/" + study + ".sqlite", db);  // opening it must not touch the tree
    auto r = dir.longalign({"plan", kSource + "/experiments/" + study + ".toml", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json plan = nlohmann::json::parse(r.out);
    Store store(db.string(), OpenMode::kExisting);
    size_t cells = 0;
    for (const auto& cell : plan.at("cells")) {
      const std::string id = cell.at("id");
      auto run = store.run(id);
      ASSERT_TRUE(run) << "cell " << id << " (" << cell.at("grid").dump() << ") is not in results/" << study << ".sqlite: its id changed";
      EXPECT_EQ(run->status, "done") << id;
      ++cells;
    }
    EXPECT_EQ(cells, expected) << study;
  }
}

// The README's results tables sit between `<!-- report DB ARGS... -->` and `<!-- report:end -->`:
// each must be what `longalign report DB --format table ARGS...` prints from the committed file.
TEST(Readme, ResultsTablesAreWhatTheReportMakesOfTheCommittedResults) {
  test::ScratchDir dir("readme-results");
  const std::string readme = read_file(kSource + "/README.md");
  const std::string open = "<!-- report ", close = "<!-- report:end -->";
  size_t tables = 0;
  for (size_t at = readme.find(open); at != std::string::npos; at = readme.find(open, at + 1)) {
    const size_t head_end = readme.find(" -->\n", at), end = readme.find(close, at);
    ASSERT_TRUE(head_end != std::string::npos && end != std::string::npos && head_end < end) << "an unclosed block at " << at;
    std::istringstream head(readme.substr(at + open.size(), head_end - at - open.size()));
    std::string db, more, word;
    head >> db;
    std::vector<std::string> args = {"report", kSource + "/" + db, "--format", "table", "--no-plots", "--out",
                                     (dir.path / std::to_string(tables)).string()};
    while (head >> word) args.push_back(word), more += " " + word;
    ASSERT_TRUE(std::filesystem::exists(kSource + "/" + db)) << db << " is not committed";
    auto r = dir.longalign(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(readme.substr(head_end + 5, end - head_end - 5), r.out)
        << "README's table from " << db << " differs from its report: paste `longalign report " << db << " --format table" << more << "`";
    ++tables;
  }
  EXPECT_GE(tables, 4u) << "a table per ablation sweep";
}

}  // namespace
}  // namespace longalign::host
