// Planning sweeps against the real bundled plugins: grid expansion, stable ids, located errors.
#include <gtest/gtest.h>

#include "sweep/resolve.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

const Registry& registry() {
  static test::ScratchDir cache("plan-cache");
  static ProbeCache probe_cache(cache.path / "plugins.json");
  static Registry reg = scan_plugins({test::kBundled}, {test::kScanner, std::chrono::seconds(10)}, probe_cache);
  return reg;
}

const std::string kData = R"(
[[data]]
name = "chat"
source = "synthetic-copy"
params = { count = 50 }
count = 20
)";

ResolvedSweep resolve_text(const std::string& text, const std::vector<std::string>& sets = {}) {
  return resolve_sweep(parse_sweep(text, "s.toml", sets), registry());
}

std::string error_of(const std::string& text) {
  try {
    resolve_text(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Plan, ExpandsGridExcludesIncludesAndSeeds) {
  ResolvedSweep p = resolve_text(R"(name = "g"
seeds = [0, 1]
[grid]
"train.rows_per_micro_batch" = [1, 2, 4]
"train.epochs" = [1, 2]
[[exclude]]
"train.rows_per_micro_batch" = 4
"train.epochs" = 2
[[include]]
"train.max_tokens" = 99
)" + kData);
  // (3 x 2 - 1 excluded + 1 included) x 2 seeds
  ASSERT_EQ(p.cells.size(), 12u);
  std::set<std::string> ids;
  for (auto& c : p.cells) ids.insert(c.id);
  EXPECT_EQ(ids.size(), 12u);
  EXPECT_EQ(p.cells[0].grid, (nlohmann::json{{"train.epochs", 1}, {"train.rows_per_micro_batch", 1}}));
  EXPECT_EQ(p.cells.back().config.train.max_tokens, 99);
  EXPECT_EQ(p.cells[0].config.batching.params.value["reshuffle"], "per-epoch");  // defaults filled
  EXPECT_EQ(p.plugins["naive"]["version"], "1.0.0");
}

TEST(Plan, AGridOfTablesIsExcludedByWholeTables) {
  ResolvedSweep p = resolve_text(R"(name = "t"
[grid]
"data.chat.count" = [10, 20]
"data.chat.params" = [{ count = 50, task = "reverse" }, { count = 50 }]
[[exclude]]
"data.chat.count" = 10
"data.chat.params" = { count = 50 }
)" + kData);
  // { count = 50 } is a part of the other table too, but only the whole table matches.
  ASSERT_EQ(p.cells.size(), 3u);
  for (auto& c : p.cells)
    EXPECT_FALSE(c.grid["data.chat.count"] == 10 && c.grid["data.chat.params"] == (nlohmann::json{{"count", 50}}));
}

TEST(Plan, RelativeFilesOfSourcesAreFromTheSweepFile) {
  ResolvedSweep p = resolve_sweep(parse_sweep(R"(name = "f"
[[data]]
name = "chats"
source = "corpus-tasks"
params = { sources = { docs = ["notes", "/abs/*.md", "../up.txt"] } }
)", "/some/dir/s.toml", {}), registry());
  ASSERT_EQ(p.cells.size(), 1u);
  EXPECT_EQ(p.cells[0].config.data.at("chats").params.value["sources"]["docs"],
            (nlohmann::json{"/some/dir/notes", "/abs/*.md", "/some/up.txt"}));
}

TEST(Plan, IdsDoNotDependOnWhereTheCheckoutIs) {
  auto id_at = [](const std::string& file, const std::string& docs) {
    return resolve_sweep(parse_sweep("name = \"f\"\n[[data]]\nname = \"d\"\nsource = \"corpus-tasks\"\n"
                                  "params = { sources = { docs = \"" + docs + "\" } }\n",
                                  file, {}),
                      registry())
        .cells.at(0)
        .id;
  };
  // Relative files count as written, so a clone elsewhere finds the committed results' cells.
  EXPECT_EQ(id_at("/home/a/longalign/experiments/s.toml", "../README.md"), id_at("/tmp/ci/experiments/s.toml", "../README.md"));
  EXPECT_NE(id_at("/tmp/ci/experiments/s.toml", "../README.md"), id_at("/tmp/ci/experiments/s.toml", "../NOTES.md"));
  EXPECT_NE(id_at("/tmp/ci/experiments/s.toml", "/a/README.md"), id_at("/tmp/ci/experiments/s.toml", "/b/README.md"));
}

TEST(Plan, IdsIgnoreKeyOrderFormattingAndExplicitDefaults) {
  ResolvedSweep a = resolve_text("name = \"x\"\n[config]\ntrain.epochs = 2\nloss.plugin = \"token-mean\"\n" + kData);
  ResolvedSweep b = resolve_text(R"(name="x"
[config.loss]
plugin="token-mean"
[config.train]
epochs=2
max_tokens = 2048   # the default, written out
[[data]]
count = 20
params = {count=50}
source = "synthetic-copy"
name = "chat"
)");
  ASSERT_EQ(a.cells.size(), 1u);
  EXPECT_EQ(a.cells[0].id, b.cells[0].id);
}

TEST(Plan, ChangingOneGridValueChangesOnlyItsCells) {
  ResolvedSweep a = resolve_text("name = \"x\"\n[grid]\n\"train.epochs\" = [1, 2, 3]\n" + kData);
  ResolvedSweep b = resolve_text("name = \"x\"\n[grid]\n\"train.epochs\" = [1, 5, 3]\n" + kData);
  EXPECT_EQ(a.cells[0].id, b.cells[0].id);
  EXPECT_NE(a.cells[1].id, b.cells[1].id);
  EXPECT_EQ(a.cells[2].id, b.cells[2].id);
}

TEST(Plan, EvaluatorsHaveTheirOwnIds) {
  ResolvedSweep a = resolve_text("name = \"x\"\n" + kData);
  ResolvedSweep b = resolve_text("name = \"x\"\n" + kData + "[[evaluate]]\nevaluator = \"perplexity\"\n");
  EXPECT_EQ(a.cells[0].id, b.cells[0].id);  // adding an evaluator never retrains
  ASSERT_EQ(b.cells[0].eval_ids.size(), 1u);
  ResolvedSweep c = resolve_text("name = \"x\"\n" + kData + "[[evaluate]]\nevaluator = \"perplexity\"\nparams = { texts = [\"ab\"] }\n");
  EXPECT_NE(b.cells[0].eval_ids.at("perplexity"), c.cells[0].eval_ids.at("perplexity"));
}

TEST(Plan, EachBadConfigGetsALocatedError) {
  struct Case {
    std::string text, error;
  };
  std::vector<Case> cases = {
      {"name = \"x\"\n[config]\ntrain.max_token = 5\n" + kData,
       "s.toml:3:7: key 'train.max_token': unknown key (did you mean 'train.max_tokens'?)"},
      {"name = \"x\"\n[config]\ntrain.epochs = \"two\"\n" + kData,
       "s.toml:3:7: key 'train.epochs': expected int, got string \"two\""},
      {"name = \"x\"\n[config]\ntrain.max_tokens = 0\n" + kData, "s.toml:3:7: key 'train.max_tokens': 0 is below the minimum 1"},
      {"name = \"x\"\n[config]\nbatching.plugin = \"naiv\"\n" + kData,
       "s.toml:3:10: key 'batching.plugin': unknown plugin 'naiv' (did you mean 'naive'?); `longalign plugins` lists the batching plugins found"},
      {"name = \"x\"\n[config]\nbatching.plugin = \"token-mean\"\n" + kData,
       "s.toml:3:10: key 'batching.plugin': plugin 'token-mean' is a loss-weighting, not a batching"},
      {"name = \"x\"\n[config]\nbatching.params = { drop_lst = true }\n" + kData,
       "s.toml:3:21: key 'batching.params.drop_lst': plugin 'naive' has no parameter 'drop_lst' (did you mean 'drop_last'?)"},
      {"name = \"x\"\n[grid]\n\"train.epochs\" = [1, -1]\n" + kData,
       "s.toml:3:22: key 'train.epochs': -1 is below the minimum 0"},
      {"name = \"x\"\n", "s.toml: key 'data': no [[data]] entries: a cell needs at least one data source"},
      {"name = \"x\"\n[[data]]\nsource = \"synthetic-copy\"\nparams = { count = 10 }\ncount = 11\n",
       "s.toml:5:1: key 'data.synthetic-copy.count': asks for 11 examples; source 'synthetic-copy' has 10 with these params"},
      {"name = \"x\"\n[[data]]\nsource = \"synthetic-copy\"\nparams = { task = \"sort\" }\n",
       "s.toml:4:12: key 'data.synthetic-copy.params.task': plugin 'synthetic-copy' parameter 'task': \"sort\" is not one of: copy, reverse"},
      {"name = \"x\"\n[[data]]\nsource = \"naive\"\n",
       "s.toml:3:1: key 'data.naive.source': plugin 'naive' is a batching, not a data-source"},
      {"name = \"x\"\n[grid]\n\"train.epochs\" = [1]\n[[exclude]]\n\"train.epochs\" = 2\n" + kData,
       "s.toml:5:1: key 'exclude': this [[exclude]] matches no cell of the grid"},
      {"name = \"x\"\n[config]\nmodel = 3\n" + kData, "s.toml:3:1: key 'model': unknown key"},
      {"name = \"x\"\n[grid]\n\"model.heads\" = [2, 3]\n" + kData,
       "s.toml:3:21: key 'model.heads': d_model 64 does not split into 3 heads"},
      {"name = \"x\"\n[config]\nmodel.init_from = \"m\"\nmodel.layers = 3\n" + kData,
       "s.toml:4:7: key 'model.layers': sets the shape of a model trained from scratch; model.init_from's config.json gives "
       "the shape here"},
      {"name = \"x\"\n[config]\neval.every_steps = 10\neval.during = [\"acc\"]\n" + kData,
       "s.toml:4:6: key 'eval.during': no [[evaluate]] entry named \"acc\" (the sweep has none)"},
      {"name = \"x\"\n[config]\ntrain.device = \"cuda\"\n" + kData,
       "s.toml:3:7: key 'train.device': this longalign's engine is built against a CPU-only libtorch (Debian's): use device "
       "= \"cpu\", or build against a CUDA libtorch (README, \"Scaling out\")"},
  };
  for (auto& c : cases) EXPECT_EQ(error_of(c.text), c.error) << c.text;
}

TEST(Plan, EveryShippedExperimentPlans) {
  size_t sweeps = 0;
  for (auto& e : std::filesystem::directory_iterator(LONGALIGN_SOURCE_DIR "/experiments")) {
    if (e.path().extension() != ".toml") continue;
    ++sweeps;
    try {
      ResolvedSweep p = resolve_sweep(load_sweep(e.path().string()), registry());
      EXPECT_FALSE(p.cells.empty()) << e.path();
    } catch (const InputError& error) {
      // A sweep that starts from another's results (base-long.toml from base.sqlite) plans once
      // that one has run, and one that starts from a model the user makes (real-model.toml) once
      // it is made: until then each says how (Experiments.* and RealModel.* run them).
      const std::string what = error.what();
      EXPECT_TRUE(what.find("(run the sweep that writes it first)") != std::string::npos ||
                  what.find("make one with `longalign model init") != std::string::npos)
          << what;
    }
  }
  EXPECT_GE(sweeps, 2u);
}

TEST(Plan, CommandLineOverridesAreLocatedToo) {
  try {
    resolve_text("name = \"x\"\n" + kData, {"config.train.epochs=-1"});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "--set config.train.epochs=-1: key 'train.epochs': -1 is below the minimum 0");
  }
}

}  // namespace
}  // namespace longalign::host
