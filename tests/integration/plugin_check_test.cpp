// `plugin check` passes every bundled plugin and fails each broken fixture with its reason.
#include <gtest/gtest.h>

#include <fstream>

#include "check/conformance.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

std::string first_failure(const CheckReport& r) {
  if (!r.load_error.empty()) return "load: " + r.load_error;
  for (auto& c : r.results)
    if (!c.passed) return c.name + ": " + c.detail;
  return "";
}

class BundledPlugin : public ::testing::TestWithParam<std::string> {};

TEST_P(BundledPlugin, PassesItsKindsChecks) {
  CheckReport r = check_plugin(test::kBundled / (GetParam() + ".so"));
  EXPECT_TRUE(r.passed()) << first_failure(r);
  EXPECT_GE(r.results.size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(All, BundledPlugin,
                         ::testing::Values("synthetic-copy", "length-mix", "naive", "sorted", "packing", "token-mean",
                                           "token-mean-per-row", "longalign", "longalign-paper-code",
                                           "perplexity", "synthetic-chat", "task-accuracy", "needle", "ruler-tasks", "ruler"));

// Plugins that read files (sources, benchmark evaluators) are checked with params naming some
// (`plugin check --params`).
TEST(PluginCheck, PassesFileReadingSourcesGivenTheirInputs) {
  test::ScratchDir dir("check-inputs");
  std::ofstream(dir.path / "chats.jsonl")
      << R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]})" << "\n";
  std::ofstream(dir.path / "mc.jsonl") << R"({"query": "2+2=", "choices": ["4", "5"], "gold": 0})" << "\n";
  std::ofstream(dir.path / "lb.jsonl") << R"({"context": "The sky is blue.", "input": "Colour?", "answers": ["blue"]})" << "\n";
  std::filesystem::create_directories(dir.path / "lbc");
  std::ofstream(dir.path / "lbc" / "test_cases.json") << R"([{"query": "Q?", "answer": "R"}])";
  const std::vector<std::pair<std::string, nlohmann::json>> cases = {
      {"jsonl-messages", {{"files", {(dir.path / "chats.jsonl").string()}}}},
      {"corpus-tasks", {{"sources", {{"docs", std::string(LONGALIGN_SOURCE_DIR) + "/*.md"}}}, {"count", 200}}},
      {"text-corpus", {{"sources", {{"docs", std::string(LONGALIGN_SOURCE_DIR) + "/*.md"}}}}},
      {"multiple-choice", {{"files", {(dir.path / "mc.jsonl").string()}}}},
      {"longbench", {{"files", {(dir.path / "lb.jsonl").string()}}, {"max_new_tokens", 4}}},
      {"longbench-chat", {{"dir", (dir.path / "lbc").string()}, {"max_new_tokens", 4}}},
  };
  for (auto& [name, params] : cases) {
    CheckReport r = check_plugin(test::kBundled / (name + ".so"), std::chrono::minutes(2), params);
    EXPECT_TRUE(r.passed()) << name << ": " << first_failure(r);
    EXPECT_GE(r.results.size(), 4u) << name;
    CheckReport defaults = check_plugin(test::kBundled / (name + ".so"));
    EXPECT_FALSE(defaults.passed()) << name << " reads nothing without inputs";
  }
}

TEST(PluginCheck, FailsBrokenPluginsWithTheirReasons) {
  struct Case {
    const char* file;
    const char* failure;
  };
  const Case cases[] = {
      {"broken_weights_sum.so", "weights finite, non-negative, summing to 1: weights sum to 2.000000 over the target tokens of a step with world size 1 and 1 micro-batches per rank"},
      {"broken_loses_sequence.so", "valid plan: one sequence: sequence 0 is neither placed nor dropped"},
      {"broken_nondeterministic.so", "deterministic for a seed and epoch: two instances gave different plans for seed 11, epoch 0"},
      {"broken_role.so", "examples well-formed: example 0: unknown role 'human'"},
      {"broken_nan_metric.so", "metrics on the reference model: metric 'score' is not finite"},
      {"broken_crash_in_check.so", "completes: the plugin killed by signal 11 (SIGSEGV) after check 'create with defaults'"},
  };
  for (auto& c : cases) {
    CheckReport r = check_plugin(test::kFixtures / c.file);
    EXPECT_FALSE(r.passed()) << c.file;
    EXPECT_EQ(first_failure(r), c.failure) << c.file;
  }
}

TEST(PluginCheck, StopsAPluginThatHangs) {
  // The fixture hangs in its first plan(), after the checks that only create it. On a loaded
  // machine the deadline may come before those have answered: the report names the last that did.
  CheckReport r = check_plugin(test::kFixtures / "broken_hang_in_check.so", std::chrono::milliseconds(1000));
  EXPECT_FALSE(r.passed());
  ASSERT_FALSE(r.results.empty());
  std::string last = "loading";
  for (size_t i = 0; i + 1 < r.results.size(); ++i) {
    EXPECT_TRUE(r.results[i].passed) << r.results[i].name;
    EXPECT_EQ(r.results[i].name.find("plan"), std::string::npos) << r.results[i].name << ": no check that plans answers";
    last = "after check '" + r.results[i].name + "'";
  }
  EXPECT_EQ(first_failure(r), "completes: the plugin hung " + last + " (no answer in 1000 ms)");
}

TEST(PluginCheck, ReportsAFileThatIsNoPlugin) {
  CheckReport r = check_plugin(test::kFixtures / "no_entry_point.so");
  EXPECT_FALSE(r.passed());
  EXPECT_NE(r.load_error.find("not a longalign plugin"), std::string::npos);
}

}  // namespace
}  // namespace longalign::host
