// The real binary: exit codes, --help on every verb, and `plugins` output.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

ProcessResult longalign(std::vector<std::string> args, const test::ScratchDir& cache) {
  std::vector<std::string> argv = {"/usr/bin/env", "LONGALIGN_CACHE_DIR=" + cache.path.string(), test::kBin.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, std::chrono::seconds(60));
}

// The verbs a help text lists under "Subcommands:", each on a line of its own ("  NAME  what").
std::vector<std::string> subcommands(const std::string& help) {
  std::vector<std::string> out;
  std::istringstream in(help.substr(std::min(help.size(), help.find("Subcommands:"))));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line) && line.rfind("  ", 0) == 0) out.push_back(line.substr(2, line.find(' ', 2) - 2));
  return out;
}

// Every verb the top-level help lists, and every verb under those (data export, db check...),
// answers --help with its usage and exit code 0.
TEST(Cli, EveryVerbHasHelp) {
  test::ScratchDir cache("cli");
  std::vector<std::vector<std::string>> todo = {{}}, seen;
  while (!todo.empty()) {
    std::vector<std::string> args = todo.back();
    todo.pop_back();
    args.push_back("--help");
    auto r = longalign(args, cache);
    args.pop_back();
    EXPECT_EQ(r.exit_code, 0) << testing::PrintToString(args);
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
    seen.push_back(args);
    for (auto& verb : subcommands(r.out)) {
      auto next = args;
      next.push_back(verb);
      todo.push_back(next);
    }
  }
  EXPECT_GE(seen.size(), 17u) << "the top level, its 13 verbs and those under data, plugin and db";
  for (auto verb : {"plan", "run", "cell", "merge", "score", "generate", "report", "eval", "submit"})
    EXPECT_NE(std::find(seen.begin(), seen.end(), std::vector<std::string>{verb}), seen.end()) << verb;
  for (auto pair : std::vector<std::vector<std::string>>{{"data", "export"}, {"plugin", "check"}, {"db", "check"}})
    EXPECT_NE(std::find(seen.begin(), seen.end(), pair), seen.end()) << pair[0] << " " << pair[1];
}

TEST(Cli, BadCommandLinesExitWithTwo) {
  test::ScratchDir cache("cli");
  EXPECT_EQ(longalign({"no-such-verb"}, cache).exit_code, 2);
  EXPECT_EQ(longalign({}, cache).exit_code, 2);
  auto r = longalign({"plugin", "check", "/no/such/file.so"}, cache);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "longalign plugin check: /no/such/file.so: no such file\n");
}

TEST(Cli, AMissingPluginDirIsNamedWhereItWasGiven) {
  test::ScratchDir dir("cli-plugin-dir");
  std::ofstream(dir.path / "s.toml") << "name = \"p\"\nplugin_dirs = [\"mine\"]\n[[data]]\nsource = \"synthetic-copy\"\n";
  auto r = dir.longalign({"plan", (dir.path / "s.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find((dir.path / "s.toml").string() + ":2:16: key 'plugin_dirs': plugin dir " + (dir.path / "mine").string() +
                       " does not exist"),
            std::string::npos)
      << r.err;
  r = dir.longalign({"plugins", "--plugin-dir", (dir.path / "nope").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--plugin-dir: plugin dir " + (dir.path / "nope").string() + " does not exist"), std::string::npos) << r.err;
  r = dir.longalign({"plugins", (dir.path / "s.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find((dir.path / "s.toml").string() + ":2:16: key 'plugin_dirs'"), std::string::npos) << r.err;
}

// `plugins SWEEP` lists what the sweep's cells would see: its plugin_dirs (relative to the sweep
// file) searched first, the rejected files there too.
TEST(Cli, PluginsOfASweepSearchItsPluginDirs) {
  test::ScratchDir dir("cli-sweep-plugins");
  std::filesystem::create_directories(dir.path / "mine");
  std::filesystem::copy_file(test::kFixtures / "wrong_api_version.so", dir.path / "mine" / "future.so");
  std::filesystem::copy_file(test::kBundled / "naive.so", dir.path / "mine" / "naive.so");
  std::ofstream(dir.path / "s.toml") << "name = \"p\"\nplugin_dirs = [\"mine\"]\n[[data]]\nsource = \"synthetic-copy\"\n";
  auto r = dir.longalign({"plugins", "--json", (dir.path / "s.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["search_path"][0], (dir.path / "mine").string());
  std::map<std::string, std::string> rejected;  // file -> reason
  for (auto& x : j["rejected"]) rejected[x["file"]] = x["reason"];
  EXPECT_EQ(rejected[(dir.path / "mine" / "future.so").string()], "wrong API version: got 99, this host supports 1");
  EXPECT_NE(rejected[(test::kBundled / "naive.so").string()].find("duplicate"), std::string::npos)
      << "the bundled naive.so, after the sweep's: " << j["rejected"].dump();
  for (auto& p : j["plugins"])
    if (p["name"] == "naive") EXPECT_EQ(p["file"], (dir.path / "mine" / "naive.so").string()) << "the sweep's dir comes first";
}

TEST(Cli, PluginsListsBundledAndRejectedAsJson) {
  test::ScratchDir cache("cli"), extra("cli-extra");
  extra.add(test::kFixtures / "wrong_api_version.so", "future.so");
  auto r = longalign({"plugins", "--json", "--plugin-dir", extra.path.string()}, cache);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  std::set<std::string> names;
  for (auto& p : j["plugins"]) names.insert(p["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"corpus-tasks", "jsonl-messages", "length-mix", "longalign", "longalign-paper-code",
                                          "longbench", "longbench-chat", "multiple-choice", "naive", "needle", "packing", "perplexity", "ruler", "ruler-tasks", "self-instruct", "sorted", "synthetic-chat",
                                          "synthetic-copy", "task-accuracy", "text-corpus", "token-mean",
                                          "token-mean-per-row"}));
  ASSERT_EQ(j["rejected"].size(), 1u);
  EXPECT_EQ(j["rejected"][0]["reason"], "wrong API version: got 99, this host supports 1");
  EXPECT_EQ(j["search_path"][0], extra.path.string());
  EXPECT_TRUE(std::filesystem::exists(cache.path / "plugins.json"));
}

TEST(Cli, PlanBatchingReportsEachCellsPlan) {
  test::ScratchDir cache("cli");
  const std::string sweep = LONGALIGN_SOURCE_DIR "/tests/bench/training_methods_bench.toml";
  auto r = longalign({"plan", "--json", "--batching", sweep}, cache);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["cells"].size(), 8u);
  for (auto& c : j["cells"]) {
    const auto& b = c["batching"];
    EXPECT_EQ(b["dropped"], 0);
    EXPECT_GE(b["rows"].get<double>(), b["rows_lower_bound"].get<double>());
    const auto method = c["grid"]["batching.plugin"].get<std::string>();
    const double efficiency = b["efficiency"].get<double>();
    if (method == "naive") EXPECT_LT(efficiency, 0.5);  // random lengths side by side: mostly padding
    if (method == "sorted") EXPECT_GT(efficiency, 0.85);
    if (method == "packing") EXPECT_GT(efficiency, 0.99);
  }
  auto text = longalign({"plan", "--batching", sweep}, cache);
  EXPECT_NE(text.out.find("EFFICIENCY"), std::string::npos);
}

// plan --batching shows why sequences were dropped, as the batching plugin said, and a cell
// stores the same counts (plan.dropped.REASON); it weighs each cell's first step too, so a loss
// weighting whose weights do not sum to 1 is refused before anything runs.
TEST(Cli, PlanBatchingShowsDropReasonsAndRefusesBadWeights) {
  test::ScratchDir dir("cli-drops");
  std::ofstream(dir.path / "s.toml") << R"(name = "drops"
[config]
train.max_tokens = 64
train.epochs = 1
checkpoint.save = false
batching.params = { drop_last = true }
[[data]]
source = "synthetic-copy"
params = { count = 30, min_words = 2, max_words = 24 }
)";
  auto r = dir.longalign({"plan", "--batching", "--json", (dir.path / "s.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto b = nlohmann::json::parse(r.out)["cells"][0]["batching"];
  const double too_long = b.value("dropped.longer than max_tokens", 0.0), partial = b.value("dropped.in the last, partial micro-batch (drop_last)", 0.0);
  EXPECT_GT(too_long, 0) << b.dump();
  EXPECT_EQ(too_long + partial, b["dropped"].get<double>()) << b.dump();
  auto text = dir.longalign({"plan", "--batching", (dir.path / "s.toml").string()});
  EXPECT_NE(text.out.find("    dropped " + std::to_string(static_cast<int>(too_long)) + ": longer than max_tokens\n"), std::string::npos)
      << text.out;
  auto run = dir.run_sweep();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(test::run_metric(dir.path / "r.sqlite", "plan.dropped.longer than max_tokens"), too_long);

  std::filesystem::create_directories(dir.path / "mine");
  std::filesystem::copy_file(test::kFixtures / "broken_weights_sum.so", dir.path / "mine" / "broken_weights_sum.so");
  std::ofstream(dir.path / "bad.toml") << "name = \"bad\"\nplugin_dirs = [\"mine\"]\n[config]\nloss.plugin = \"broken-sum\"\n"
                                          "[[data]]\nsource = \"synthetic-copy\"\nparams = { count = 16 }\n";
  auto bad = dir.longalign({"plan", "--batching", (dir.path / "bad.toml").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.toml:4:6: key 'loss.plugin': cell "), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("plugin 'broken-sum' weights sum to 2.000000 over step 0's target tokens, not 1"), std::string::npos) << bad.err;
}

TEST(Cli, PluginCheckExitCodes) {
  test::ScratchDir cache("cli");
  auto ok = longalign({"plugin", "check", (test::kBundled / "naive.so").string()}, cache);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("0 failed"), std::string::npos);
  auto bad = longalign({"plugin", "check", "--json", (test::kFixtures / "broken_weights_sum.so").string()}, cache);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_FALSE(nlohmann::json::parse(bad.out)["passed"].get<bool>());
}

}  // namespace
}  // namespace longalign::host
