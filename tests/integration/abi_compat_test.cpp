// Plugins built against the first API-v1 layouts and against a later v1 header's (fixtures/abi/)
// load, list their parameters and run unchanged: every array of sized structs that crosses the
// boundary (parameter specs, score and generate requests and results, the sink's examples, the
// example a source writes) is read and written at its writer's stride.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "check/reference_model.h"
#include "plugin/instance.h"
#include "plugin/registry.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

using test::kAbiFixtures;

const char* const kLayouts[] = {"v1_0", "next"};

std::string plugin_name(const std::string& kind, const std::string& layout) {
  return "abi-" + kind + "-" + (layout == "v1_0" ? "v1-0" : layout);
}

TEST(AbiCompat, EveryLayoutsParameterSpecsAreReadWhole) {
  test::ScratchDir dir("abi");
  ProbeCache cache(dir.path / "cache.json");
  Registry reg = scan_plugins({kAbiFixtures}, {test::kScanner, std::chrono::seconds(30)}, cache);
  for (auto& r : reg.rejected) ADD_FAILURE() << r.file << ": " << r.reason;
  for (const char* layout : kLayouts)
    for (const char* kind : {"source", "evaluator"}) {
      const PluginEntry* p = reg.find(plugin_name(kind, layout));
      ASSERT_NE(p, nullptr) << plugin_name(kind, layout);
      const auto& params = p->info.params;
      ASSERT_EQ(params.size(), 4u);
      EXPECT_EQ(params[0].name, "count");
      EXPECT_EQ(params[0].default_value, 3);
      EXPECT_EQ(params[0].min, 1);
      EXPECT_EQ(params[0].max, 8);
      EXPECT_EQ(params[1].name, "word");
      EXPECT_EQ(params[1].choices, (std::vector<std::string>{"alpha", "beta", "gamma"}));
      EXPECT_EQ(params[2].name, "scale");
      EXPECT_EQ(params[2].type, LA_PARAM_FLOAT);
      EXPECT_FALSE(params[2].min);
      EXPECT_EQ(params[2].max, 1);
      EXPECT_EQ(params[3].name, "shout");
      EXPECT_EQ(params[3].default_value, false);
      EXPECT_EQ(params[3].doc, "upper-case the word");
    }
}

TEST(AbiCompat, SourcesOfEveryLayoutYieldTheirExamples) {
  for (const char* layout : kLayouts) {
    DataSourceInstance src(PluginLibrary::load(kAbiFixtures / ("abi_source_" + std::string(layout) + ".so")),
                           {{"count", 5}, {"word", "gamma"}, {"scale", 0.25}, {"shout", true}});
    src.open(0);
    EXPECT_EQ(src.count(), 5);
    Example e;
    std::vector<std::string> texts;
    while (src.next(e)) {
      texts.push_back(e.text);
      EXPECT_EQ(e.task, "echo");
      EXPECT_EQ(e.source, layout == std::string("v1_0") ? "v1-0" : "next");
    }
    ASSERT_EQ(texts.size(), 5u) << layout;
    EXPECT_EQ(texts[4], "GAMMA 5 x0.250000") << layout;
    EXPECT_EQ(src.provenance(), nlohmann::json::object()) << "v1.0's table has no provenance()";
  }
}

TEST(AbiCompat, EvaluatorsOfEveryLayoutScoreGenerateAndReadExamples) {
  ReferenceModel model;
  std::vector<Example> examples(3);
  examples[0].text = "a";
  examples[1].text = "bb";
  examples[2].text = "ccc";
  for (size_t i = 0; i < 3; ++i) examples[i].task = "t" + std::to_string(i);
  for (const char* layout : kLayouts) {
    EvaluatorInstance ev(PluginLibrary::load(kAbiFixtures / ("abi_evaluator_" + std::string(layout) + ".so")),
                         {{"count", 4}, {"word", "beta"}}, model.service());
    std::vector<EvalMetric> metrics;
    std::vector<EvalArtifact> artifacts;
    ev.evaluate(metrics, artifacts, examples);
    std::map<std::string, double> m;  // name/i -> value
    for (auto& x : metrics) m[x.name + "/" + x.tags.at(0).second] = x.value;
    SCOPED_TRACE(layout);
    EXPECT_EQ(m["param_count/0"], 4);
    EXPECT_EQ(m["param_scale/0"], 0.5);
    EXPECT_EQ(m.count("param_word_is_beta/0"), 1u);
    for (int i = 0; i < 4; ++i) {
      std::string at = "/" + std::to_string(i);
      EXPECT_NEAR(m["score_logprob" + at], -(i + 1) * std::log(256.0), 1e-9);
      EXPECT_EQ(m["score_n_tokens" + at], i + 1);
      EXPECT_EQ(m["score_untouched" + at], 1) << "the host wrote past its own layout";
      EXPECT_EQ(m["generate_n_tokens" + at], i + 1);
      EXPECT_EQ(m["generate_first_token" + at], 65 + i);
      EXPECT_EQ(m["generate_text_bytes" + at], i + 1);
      EXPECT_EQ(m["generate_untouched" + at], 1) << "the host wrote past its own layout";
    }
    for (int i = 0; i < 3; ++i) {
      std::string at = "/" + std::to_string(i);
      EXPECT_EQ(m["example_text_bytes" + at], i + 1);
      EXPECT_EQ(m.count("example_task_is_t" + std::to_string(i) + at), 1u);
    }
  }
}

TEST(AbiCompat, PluginCheckPassesEveryLayout) {
  test::ScratchDir dir("abi-check");
  for (const char* layout : kLayouts)
    for (const char* kind : {"source", "evaluator"}) {
      auto file = kAbiFixtures / ("abi_" + std::string(kind) + "_" + layout + ".so");
      auto r = dir.longalign({"plugin", "check", file.string()});
      EXPECT_EQ(r.exit_code, 0) << file << "\n" << r.out << r.err;
    }
}

}  // namespace
}  // namespace longalign::host
