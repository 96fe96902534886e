// The real binary: exit codes, --help on every verb, and `plugins` output.
#include <gtest/gtest.h>

#include <fstream>

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

TEST(Cli, EveryVerbHasHelp) {
  test::ScratchDir cache("cli");
  for (auto args : std::vector<std::vector<std::string>>{{"--help"}, {"plugins", "--help"}, {"plugin", "check", "--help"}}) {
    auto r = longalign(args, cache);
    EXPECT_EQ(r.exit_code, 0) << args.back();
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  }
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
                                          "longbench", "longbench-chat", "multiple-choice", "naive", "needle", "packing", "perplexity", "self-instruct", "sorted", "synthetic-chat",
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
