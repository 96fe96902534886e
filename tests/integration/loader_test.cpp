// The loader, fed every kind of bad file next to a good plugin: each bad one is rejected with
// its exact reason, in a subprocess, and the good one still loads.
#include <gtest/gtest.h>

#include <fstream>

#include "plugin/instance.h"
#include "plugin/registry.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

using test::kBundled;
using test::kFixtures;
using test::ScratchDir;

struct Scan {
  Registry reg;
  std::string reason(const std::string& file) const {
    for (auto& r : reg.rejected)
      if (r.file.filename() == file) return r.reason;
    return "(not rejected)";
  }
};

// Scans a dir holding the bad file plus a good plugin, with a fresh cache.
Scan scan_with(const ScratchDir& dir, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  dir.add(kBundled / "token-mean.so", "good.so");
  ProbeCache cache(dir.path / "cache.json");
  Scan s{scan_plugins({dir.path}, {test::kScanner, timeout}, cache)};
  EXPECT_NE(s.reg.find("token-mean"), nullptr) << "the good plugin must load whatever sits beside it";
  return s;
}

TEST(Loader, RejectsAWrongApiVersionNamingBothNumbers) {
  ScratchDir dir("loader");
  dir.add(kFixtures / "wrong_api_version.so", "future.so");
  EXPECT_EQ(scan_with(dir).reason("future.so"), "wrong API version: got 99, this host supports 1");
}

TEST(Loader, RejectsALibraryWithoutTheEntryPoint) {
  ScratchDir dir("loader");
  dir.add(kFixtures / "no_entry_point.so", "other.so");
  EXPECT_EQ(scan_with(dir).reason("other.so"),
            "is a shared library but not a longalign plugin (it exports no longalign_plugin_register)");
}

TEST(Loader, RejectsNonElfAndTruncatedFiles) {
  ScratchDir dir("loader");
  std::ofstream(dir.path / "notes.so") << "just some text\n";
  std::ofstream(dir.path / "empty.so");
  {
    std::ifstream in(kBundled / "naive.so", std::ios::binary);
    std::string head(6000, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream(dir.path / "cut.so", std::ios::binary) << head;
  }
  Scan s = scan_with(dir);
  EXPECT_EQ(s.reason("notes.so"), "is not an ELF file");
  EXPECT_EQ(s.reason("empty.so"), "is not an ELF file");
  EXPECT_EQ(s.reason("cut.so").rfind("is truncated: 6000 bytes, a segment ends at byte ", 0), 0u) << s.reason("cut.so");
}

TEST(Loader, RejectsADuplicateNameKeepingTheFirst) {
  ScratchDir dir("loader");
  dir.add(kBundled / "token-mean.so", "a-copy.so");
  Scan s = scan_with(dir);
  ASSERT_NE(s.reg.find("token-mean"), nullptr);
  EXPECT_EQ(s.reg.find("token-mean")->file.filename(), "a-copy.so");
  EXPECT_EQ(s.reason("good.so"), "duplicate plugin name 'token-mean': already provided by " + (dir.path / "a-copy.so").string());
}

TEST(Loader, RejectsPluginsThatFailToRegister) {
  ScratchDir dir("loader");
  dir.add(kFixtures / "error_on_register.so", "error.so");
  dir.add(kFixtures / "throws_on_register.so", "throws.so");
  dir.add(kFixtures / "bad_name.so", "bad_name.so");
  Scan s = scan_with(dir);
  EXPECT_EQ(s.reason("error.so"), "failed to register (status 4): license file missing");
  EXPECT_EQ(s.reason("throws.so"), "failed to register (status 5): cannot describe myself");
  EXPECT_EQ(s.reason("bad_name.so"), "invalid plugin name: use 1-64 characters of [a-z0-9-], starting with a letter");
}

TEST(Loader, SurvivesAPluginThatCrashesOrHangsWhileProbed) {
  // Each on its own scan: the crash with the default timeout (a loaded machine may take seconds
  // to get there), the hang with a short one (it never answers, however fast the machine).
  ScratchDir crash_dir("loader");
  crash_dir.add(kFixtures / "crash_on_register.so", "crash.so");
  EXPECT_EQ(scan_with(crash_dir).reason("crash.so"), "crashed while probed (killed by signal 11 (SIGSEGV))");
  ScratchDir hang_dir("loader");
  hang_dir.add(kFixtures / "hang_on_register.so", "hang.so");
  ProbeCache cache(hang_dir.path / "cache.json");
  Scan hung{scan_plugins({hang_dir.path}, {test::kScanner, std::chrono::milliseconds(1500)}, cache)};
  EXPECT_EQ(hung.reason("hang.so"), "hung while probed: no answer in 1.50 s");
}

TEST(Loader, CachesProbesByContentHash) {
  ScratchDir dir("loader");
  dir.add(kFixtures / "crash_on_register.so", "crash.so");
  ProbeCache first(dir.path / "cache.json");
  ProbeOptions opts{test::kScanner, std::chrono::seconds(10)};
  auto a = probe_plugin(dir.path / "crash.so", opts, first);
  first.save();
  EXPECT_FALSE(a.cached);
  ProbeCache second(dir.path / "cache.json");
  auto b = probe_plugin(dir.path / "crash.so", opts, second);
  EXPECT_TRUE(b.cached);  // a crashing plugin is not probed again until it changes
  EXPECT_EQ(b.error, a.error);
  // A changed file is probed again.
  dir.add(kBundled / "naive.so", "crash.so");
  auto c = probe_plugin(dir.path / "crash.so", opts, second);
  EXPECT_FALSE(c.cached);
  ASSERT_TRUE(c.info);
  EXPECT_EQ(c.info->name, "naive");
}

TEST(Loader, CorruptCacheIsIgnored) {
  ScratchDir dir("loader");
  std::ofstream(dir.path / "cache.json") << "{ not json";
  ProbeCache cache(dir.path / "cache.json");
  auto r = probe_plugin(kBundled / "naive.so", {test::kScanner, std::chrono::seconds(10)}, cache);
  ASSERT_TRUE(r.info);
  EXPECT_FALSE(r.cached);
}

TEST(Loader, SearchPathOrderIsExtraThenEnvThenHost) {
  setenv("LONGALIGN_PLUGIN_PATH", "/env/one::/env/two", 1);
  auto path = plugin_search_path({"/cli"});
  unsetenv("LONGALIGN_PLUGIN_PATH");
  ASSERT_EQ(path.size(), 4u);
  EXPECT_EQ(path[0], "/cli");
  EXPECT_EQ(path[1], "/env/one");
  EXPECT_EQ(path[2], "/env/two");
  EXPECT_EQ(path[3], host_plugin_dir());
}

TEST(Loader, InstancesKeepTheirLibraryAlive) {
  std::unique_ptr<LossWeightingInstance> inst;
  {
    auto lib = PluginLibrary::load(kBundled / "token-mean.so");
    inst = std::make_unique<LossWeightingInstance>(lib, nlohmann::json::object());
  }  // the last outside reference to the library is gone; the instance still holds it
  std::vector<la_step_segment> segs = {{0, 0, 0, 0, 3, 3}, {1, 0, 0, 0, 1, 1}};
  la_step step{sizeof(la_step), segs.data(), segs.size(), 1, 1, 1};
  auto w = inst->weigh(step);
  EXPECT_DOUBLE_EQ(w[0], 0.25);
  EXPECT_DOUBLE_EQ(w[1], 0.25);
}

TEST(Loader, WrongKindAndBadParamsAreClearErrors) {
  auto lib = PluginLibrary::load(kBundled / "naive.so");
  try {
    LossWeightingInstance w(lib, nlohmann::json::object());
    FAIL();
  } catch (const PluginCallError& e) {
    EXPECT_STREQ(e.what(), "plugin 'naive' is a batching, not a loss-weighting");
  }
  EXPECT_THROW(BatchingInstance(lib, {{"reshufle", "once"}}), ParamError);
  auto src = PluginLibrary::load(kBundled / "synthetic-copy.so");
  try {
    DataSourceInstance d(src, {{"min_words", 9}, {"max_words", 3}});
    FAIL();
  } catch (const PluginCallError& e) {
    EXPECT_STREQ(e.what(), "plugin 'synthetic-copy' create failed: min_words (9) is above max_words (3)");
    EXPECT_EQ(e.status(), LA_ERR_INVALID_ARGUMENT);
  }
}

TEST(DataSources, LengthMixAnswersAreTheQuotedPassages) {
  DataSourceInstance src(PluginLibrary::load(kBundled / "length-mix.so"), {{"long_count", 20}, {"short_count", 100}});
  src.open(4);
  Example e;
  int n = 0, long_ones = 0;
  while (src.next(e)) {
    ++n;
    const std::string& user = e.messages.at(0).content;
    const std::string& answer = e.messages.at(1).content;
    // "... Quote the N characters after marker [k]."
    auto q = user.rfind("\nQuote the ");
    ASSERT_NE(q, std::string::npos);
    size_t chars = std::stoul(user.substr(q + 11));
    size_t k = std::stoul(user.substr(user.rfind('[') + 1));
    EXPECT_EQ(answer.size(), chars);
    std::string marker = "[" + std::to_string(k) + "] ";
    auto at = user.find(marker);
    ASSERT_NE(at, std::string::npos);
    EXPECT_EQ(user.substr(at + marker.size(), chars), answer) << "example " << n;
    long_ones += e.task == "long-recall";
  }
  EXPECT_EQ(n, 120);
  EXPECT_EQ(long_ones, 20);
}

TEST(Loader, UnavailableServicesSaySo) {
  auto lib = PluginLibrary::load(kBundled / "perplexity.so");
  EvaluatorInstance ev(lib, nlohmann::json::object());  // no model service given
  std::vector<EvalMetric> m;
  std::vector<EvalArtifact> a;
  try {
    ev.evaluate(m, a);
    FAIL();
  } catch (const PluginCallError& e) {
    EXPECT_EQ(e.status(), LA_ERR_UNAVAILABLE);
    EXPECT_NE(std::string(e.what()).find("the model service is not available here"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace longalign::host
