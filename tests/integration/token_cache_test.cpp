// The token cache: entries read back exactly in the narrowest id width, built once when several
// processes want one at the same time, and rebuilt when an input file changes.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "cell/token_cache.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

std::vector<Tokenized> sample(uint32_t vocab, size_t n) {
  std::vector<Tokenized> out;
  for (size_t i = 0; i < n; ++i) {
    Tokenized t;
    for (size_t k = 0; k < 1 + i * 7 % 50; ++k) {
      t.ids.push_back(static_cast<uint32_t>((i * 131 + k * 17) % vocab));
      t.target.push_back(static_cast<uint8_t>((i + k) % 3 == 0));
    }
    out.push_back(t);
  }
  return out;
}

TEST(TokenCache, ReadsBackExactlyInTheNarrowestWidth) {
  test::ScratchDir dir("token-cache");
  TokenCache cache(dir.path);
  for (auto [vocab, width] : std::vector<std::pair<uint32_t, size_t>>{{256, 1}, {259, 2}, {32000, 2}, {65537, 4}}) {
    auto seqs = sample(vocab, 40);
    seqs.push_back(Tokenized{});  // an empty sequence survives too
    bool built = false;
    auto key = "v" + std::to_string(vocab);
    auto file = cache.get(key, vocab, [&](TokenCacheWriter& w) {
      for (auto& t : seqs) w.add(t);
      return nlohmann::json{{"vocab", vocab}};
    }, &built);
    EXPECT_TRUE(built);
    ASSERT_EQ(file->size(), seqs.size());
    size_t tokens = 0;
    for (size_t i = 0; i < seqs.size(); ++i) {
      EXPECT_EQ(file->sequence(i).ids, seqs[i].ids);
      EXPECT_EQ(file->sequence(i).target, seqs[i].target);
      tokens += seqs[i].ids.size();
    }
    EXPECT_EQ(file->meta()["vocab"], vocab);
    const auto size = std::filesystem::file_size(dir.path / (key + ".tokens"));
    const auto fixed = tokens + (seqs.size() + 1) * 8 + file->meta().dump().size() + 40;  // targets, offsets, meta, trailer
    EXPECT_EQ(size, fixed + tokens * width) << "vocab " << vocab;
    auto again = cache.get(key, vocab, [&](TokenCacheWriter&) -> nlohmann::json { throw std::logic_error("rebuilt"); }, &built);
    EXPECT_FALSE(built);
    EXPECT_EQ(again->sequence(3).ids, seqs[3].ids);
  }
}

TEST(TokenCache, OneOfSeveralProcessesBuildsTheOthersRead) {
  test::ScratchDir dir("token-cache-race");
  const auto log = dir.path / "builds.log";
  std::vector<pid_t> kids;
  for (int k = 0; k < 4; ++k) {
    pid_t pid = fork();
    if (pid == 0) {
      TokenCache cache(dir.path / "cache");
      auto file = cache.get("shared", 259, [&](TokenCacheWriter& w) {
        std::ofstream(log, std::ios::app) << getpid() << "\n";
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the others arrive meanwhile
        for (auto& t : sample(259, 100)) w.add(t);
        return nlohmann::json::object();
      });
      _exit(file->size() == 100 && file->sequence(99).ids == sample(259, 100)[99].ids ? 0 : 1);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::ifstream in(log);
  size_t builds = 0;
  for (std::string line; std::getline(in, line);) ++builds;
  EXPECT_EQ(builds, 1u);
}

TEST(TokenCache, AnEntryIsRebuiltWhenAnInputChanges) {
  test::ScratchDir dir("token-cache-stale");
  TokenCache cache(dir.path / "cache");
  const auto input = dir.path / "data.jsonl";
  std::ofstream(input) << "one\n";
  int builds = 0;
  auto build = [&](TokenCacheWriter& w) {
    ++builds;
    w.add(sample(259, 1)[0]);
    return nlohmann::json{{"inputs", {TokenCache::stamp(input)}}};
  };
  cache.get("k", 259, build);
  cache.get("k", 259, build);
  EXPECT_EQ(builds, 1);
  std::ofstream(input, std::ios::app) << "two\n";
  cache.get("k", 259, build);
  EXPECT_EQ(builds, 2);
}

TEST(TokenCache, ACorruptEntryIsRebuilt) {
  test::ScratchDir dir("token-cache-corrupt");
  TokenCache cache(dir.path);
  std::ofstream(dir.path / "k.tokens") << "not an entry";
  bool built = false;
  auto file = cache.get("k", 259, [&](TokenCacheWriter& w) {
    w.add(sample(259, 2)[1]);
    return nlohmann::json::object();
  }, &built);
  EXPECT_TRUE(built);
  EXPECT_EQ(file->sequence(0).ids, sample(259, 2)[1].ids);
}

}  // namespace
}  // namespace longalign::host
