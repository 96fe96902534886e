// A sweep that ablates the amount of long data through TOML alone: each cell trains on exactly
// the counts it asked for, and records its composition (per task and source, a content hash,
// the input files with their hashes). Over-asking fails at plan time, naming the key and line.
// The sweep names its inputs relative to itself; the tests run it from another directory.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <set>

#include "store/store.h"
#include "test_dirs.h"
#include "util/sha256.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

struct MixSweep : test::ScratchDir {
  MixSweep(int long_available, const std::string& long_counts) : ScratchDir("mix") {
    std::filesystem::create_directories(path / "docs");
    for (int d = 0; d < 4; ++d) {
      std::ofstream doc(path / "docs" / ("doc" + std::to_string(d) + ".md"));
      doc << "# Notes " << d << "\n\n";
      for (int l = 0; l < 60; ++l) doc << "line " << l << " of document " << d << " mentions item" << d * 100 + l << "\n";
    }
    std::ofstream chats(path / "chats.jsonl");
    for (int i = 0; i < 6; ++i)
      chats << R"({"messages":[{"role":"user","content":"say )" << i << R"("},{"role":"assistant","content":")" << i
            << R"("}]})" << "\n";
    std::ofstream(path / "s.toml") << R"(name = "mix"
seeds = [0]
[config]
train.max_tokens = 1024
train.sequences_per_step = 8
[grid]
"data.long.count" = )" << long_counts << R"(
[[data]]
name = "long"
source = "corpus-tasks"
params = { sources = { docs = "docs" }, count = )" << long_available << R"(, min_chars = 300, max_chars = 1500 }
max_tokens = 1024
over_length = "truncate"
[[data]]
name = "short"
source = "synthetic-chat"
params = { count = 10 }
[[data]]
name = "chats"
source = "jsonl-messages"
params = { files = ["chats.jsonl"] }
count = 4
)";
  }
  ProcessResult longalign_verb(const std::string& verb) const {
    std::vector<std::string> args = {verb, (path / "s.toml").string()};
    if (verb == "run") args.insert(args.end(), {"--db", (path / "r.sqlite").string()});
    return longalign(args);
  }
};

TEST(DataMix, EachCellTrainsOnExactlyItsCountsAndRecordsThem) {
  MixSweep sweep(8, "[0, 3, 8]");
  auto r = sweep.longalign_verb("run");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Store store((sweep.path / "r.sqlite").string(), OpenMode::kExisting);
  auto q = store.db().prepare("SELECT cell_id, json_extract(grid_json, '$.\"data.long.count\"') FROM runs");
  std::vector<std::pair<std::string, int64_t>> cells;
  while (q.step()) cells.emplace_back(q.text_at(0), q.int_at(1));
  ASSERT_EQ(cells.size(), 3u);
  std::set<std::string> short_hashes, long_hashes;
  double short_cached = 0;
  for (auto& [cell, want] : cells) {
    std::map<std::string, double> m;
    for (auto& [k, v] : store.run_metrics(cell)) m[k] = v;
    EXPECT_EQ(m["data.long.examples"], want);
    EXPECT_EQ(m["data.short.examples"], 10);
    EXPECT_EQ(m["data.chats.examples"], 4);
    short_cached += m["data.short.cached"];
    auto data = nlohmann::json::parse(store.artifact(cell, "", "data.json").value());
    int64_t by_task = 0;
    for (auto& [task, n] : data["long"]["by_task"].items()) {
      by_task += n.get<int64_t>();
      EXPECT_EQ(m["data.long.task." + task], n.get<double>());
    }
    EXPECT_EQ(by_task, want);
    EXPECT_EQ(data["long"]["by_source"].value("docs", 0), want);
    EXPECT_EQ(data["long"]["provenance"]["files"].size(), want ? 4u : 0u);  // what the stream read
    for (auto& f : data["long"]["provenance"]["files"]) EXPECT_EQ(f["sha256"], sha256_file(f["path"].get<std::string>()));
    auto& chat_files = data["chats"]["provenance"]["files"];
    ASSERT_EQ(chat_files.size(), 1u);
    EXPECT_EQ(chat_files[0]["sha256"], sha256_file(sweep.path / "chats.jsonl"));
    EXPECT_EQ(chat_files[0]["path"], (sweep.path / "chats.jsonl").string());
    short_hashes.insert(data["short"]["sha256"].get<std::string>());
    long_hashes.insert(data["long"]["sha256"].get<std::string>());
  }
  EXPECT_EQ(short_hashes.size(), 1u);  // the same short data in every cell,
  EXPECT_EQ(short_cached, 2);          // tokenized by the first and read from the cache by the others
  EXPECT_EQ(long_hashes.size(), 3u);   // 0, 3 and 8 long examples differ
}

TEST(DataMix, AskingForMoreThanASourceHoldsFailsAtPlan) {
  MixSweep sweep(5, "[0, 6]");
  auto r = sweep.longalign_verb("plan");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("s.toml:7:25: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("key 'data.long.count': asks for 6 examples; source 'corpus-tasks' has 5 with these params"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(sweep.path / "r.sqlite"));
}

// targets = "all" trains on the prompt too: every token after the first is a target, where the
// default trains on the assistant turns (and their end-of-turn tokens) only.
TEST(DataMix, TargetsAllMakesEveryTokenAfterTheFirstATarget) {
  test::ScratchDir dir("targets");
  std::ofstream(dir.path / "s.toml") << R"(name = "targets"
[config]
train.epochs = 0
[[data]]
name = "answers"
source = "synthetic-chat"
params = { count = 20 }
[[data]]
name = "everything"
source = "synthetic-chat"
params = { count = 20 }
targets = "all"
)";
  auto r = dir.run_sweep();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto db = dir.path / "r.sqlite";
  EXPECT_EQ(test::run_metric(db, "data.everything.targets"), test::run_metric(db, "data.everything.tokens") - 20);
  EXPECT_LT(test::run_metric(db, "data.answers.targets"), test::run_metric(db, "data.answers.tokens") / 2);
}

}  // namespace
}  // namespace longalign::host
