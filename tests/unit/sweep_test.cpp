// Reading sweep files: every section, and every kind of bad file with its exact, located error.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "sweep/sweep.h"

namespace longalign::host {
namespace {

const char* kFull = R"(name = "demo"
seeds = [0, 3]
timeout_s = 60
plugin_dirs = ["my-plugins"]

[config]
train.max_tokens = 256
batching.plugin = "naive"

[grid]
"train.rows_per_micro_batch" = [1, 4]
loss = { plugin = ["token-mean", "other"] }

[[exclude]]
"train.rows_per_micro_batch" = 4
"loss.plugin" = "other"

[[include]]
"train.max_tokens" = 512

[[data]]
name = "chat"
source = "synthetic-copy"
params = { count = 10 }
count = 5

[[evaluate]]
evaluator = "perplexity"
)";

std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    parse_sweep(text, "s.toml", sets);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Sweep, ReadsEverySection) {
  Sweep s = parse_sweep(kFull, "/tmp/x/s.toml");
  EXPECT_EQ(s.name, "demo");
  EXPECT_EQ(s.seeds, (std::vector<uint64_t>{0, 3}));
  EXPECT_EQ(s.timeout_s, 60);
  EXPECT_EQ(s.plugin_dirs, (std::vector<std::string>{"/tmp/x/my-plugins"}));
  EXPECT_EQ(s.base["train"]["max_tokens"], 256);
  ASSERT_EQ(s.grid.size(), 2u);
  EXPECT_EQ(s.grid[0].first, "loss.plugin");  // flattened; JSON keeps keys sorted
  EXPECT_EQ(s.grid[1].first, "train.rows_per_micro_batch");
  EXPECT_EQ(s.grid[1].second.size(), 2u);
  ASSERT_EQ(s.excludes.size(), 1u);
  EXPECT_EQ(s.excludes[0].at("loss.plugin"), "other");
  EXPECT_EQ(s.includes[0].at("train.max_tokens"), 512);
  EXPECT_EQ(s.base["data"]["chat"]["source"], "synthetic-copy");
  EXPECT_EQ(s.base["data"]["chat"]["count"], 5);
  EXPECT_EQ(s.base["evaluate"]["perplexity"]["evaluator"], "perplexity");
}

TEST(Sweep, KeepsLocations) {
  Sweep s = parse_sweep(kFull, "s.toml");
  EXPECT_EQ(s.locate("train.max_tokens").str(), "s.toml:7:7");  // the key's own position
  EXPECT_EQ(s.locate("grid.train.rows_per_micro_batch.1").str(), "s.toml:11:36");
  EXPECT_EQ(s.locate("data.chat.count").str(), "s.toml:25:1");
  EXPECT_EQ(s.locate("data.chat.params.count").str(), "s.toml:24:12");
  EXPECT_EQ(s.locate("train.max_tokens.deeper").str(), "s.toml:7:7");  // nearest recorded
}

TEST(Sweep, CommandLineOverrides) {
  Sweep s = parse_sweep(kFull, "s.toml",
                        {"config.train.max_tokens=1024", "config.batching.plugin=sorted", "seeds=[7]", "grid.train.epochs=[1,2]"});
  EXPECT_EQ(s.base["train"]["max_tokens"], 1024);
  EXPECT_EQ(s.base["batching"]["plugin"], "sorted");  // a bare word is a string
  EXPECT_EQ(s.seeds, (std::vector<uint64_t>{7}));
  EXPECT_EQ(s.grid.size(), 3u);
  EXPECT_EQ(s.locate("train.max_tokens").str(), "--set config.train.max_tokens=1024");
  EXPECT_EQ(error_of(kFull, {"novalue"}), "--set novalue: expected KEY=VALUE, e.g. --set config.train.epochs=2");
  EXPECT_EQ(error_of(kFull, {"name.x=1"}), "--set name.x=1: key 'name.x': 'name' is not a table");
}

TEST(Sweep, EachBadFileGetsALocatedError) {
  struct Case {
    std::string text, error;
  };
  std::vector<Case> cases = {
      {"name = \"a\"\n[config\n", "s.toml:2:8: Error while parsing table header: expected ']', saw '\\n'"},
      {"name = \"a\"\nseeds = [1]\nseeds = [2]\n", "s.toml:3:9: Error while parsing key-value pair: cannot redefine existing array 'seeds'"},
      {"name = \"a\"\nseed = [1]\n", "s.toml:2:1: key 'seed': unknown key (did you mean 'seeds'?)"},
      {"name = \"a\"\nseeds = \"0\"\n", "s.toml:2:1: key 'seeds': expected a non-empty array of integers, got a string"},
      {"name = \"a\"\nseeds = [1, 1]\n", "s.toml:2:13: key 'seeds': seed 1 is listed twice"},
      {"name = \"a\"\n[grid]\n\"train.lr\" = []\n", "s.toml:3:1: key 'train.lr': empty grid list: it would make no cells"},
      {"name = \"a\"\n[grid]\nx = 3\n", "s.toml:3:1: key 'x': grid values must be an array, e.g. [1, 2]"},
      {"name = \"a\"\n[grid]\nseed = [1, 1, 2]\n", "s.toml:3:12: key 'seed': value 1 is listed twice (entries 1 and 2)"},
      {"name = \"a\"\n[grid]\n\"train.lr\" = [1e-3, 2e-3, 0.001]\n",
       "s.toml:3:27: key 'train.lr': value 0.001 is listed twice (entries 1 and 3)"},
      {"name = \"a\"\ntimeout_s = -5\n",
       "s.toml:2:1: key 'timeout_s': must be positive (seconds a cell may run), or 0 for no limit; got -5"},
      {"seeds = [1]\n", "s.toml: key 'name': missing: every sweep needs a name"},
      {"name = \"a b\"\n", "s.toml:1:1: key 'name': use letters, digits, '.', '_' and '-' only (it names the results file)"},
      {"name = \"a\"\n[[data]]\nparams = {}\n", "s.toml:2:1: key 'data.0': missing 'source' (the plugin's name)"},
      {"name = \"a\"\n[[data]]\nsource = \"x\"\n[[data]]\nsource = \"x\"\n",
       "s.toml:4:1: key 'data.1': two entries are named 'x': give each a distinct 'name'"},
      {"name = \"a\"\nwhen = 1979-05-27\n", "s.toml:2:8: key 'when': dates and times are not supported in sweeps"},
      {std::string("name = \"a\"\n\x00\x01\xff\xfe binary", 20), "s.toml:2:2: Encountered invalid utf-8 sequence"},
  };
  for (auto& c : cases) EXPECT_EQ(error_of(c.text), c.error) << c.text;
}

TEST(Sweep, ADirectoryOrAFifoIsCalledWhatItIs) {
  auto dir = std::filesystem::temp_directory_path() / ("longalign-sweep-kinds-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "a-dir.toml");
  ASSERT_EQ(mkfifo((dir / "pipe.toml").c_str(), 0600), 0);
  std::filesystem::create_symlink(dir / "loop.toml", dir / "loop.toml");
  auto error_loading = [](const std::filesystem::path& f) {
    try {
      load_sweep(f.string());
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error_loading(dir / "a-dir.toml"), (dir / "a-dir.toml").string() + ": is a directory, not a sweep file");
  EXPECT_EQ(error_loading(dir / "pipe.toml"), (dir / "pipe.toml").string() + ": is a FIFO (named pipe), not a sweep file");
  EXPECT_EQ(error_loading(dir / "loop.toml"), (dir / "loop.toml").string() + ": is a loop of symbolic links, not a sweep file");
  std::filesystem::remove_all(dir);
}

TEST(Sweep, MissingAndBinaryFiles) {
  try {
    load_sweep("/no/such/sweep.toml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "/no/such/sweep.toml: no such file");
  }
  auto bin = std::filesystem::temp_directory_path() / "longalign-binary-sweep.toml";
  {
    std::ofstream out(bin, std::ios::binary);
    for (int i = 0; i < 256; ++i) out.put(static_cast<char>(255 - i));
  }
  try {
    load_sweep(bin.string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(bin.string() + ":1:1: ", 0), 0u) << e.what();
  }
  std::filesystem::remove(bin);
}

TEST(Sweep, DottedAndNestedGridKeysAreTheSame) {
  Sweep a = parse_sweep("name = \"a\"\n[grid]\n\"train.epochs\" = [1, 2]\n", "a.toml");
  Sweep b = parse_sweep("name = \"a\"\n[grid.train]\nepochs = [1, 2]\n", "b.toml");
  Sweep c = parse_sweep("name = \"a\"\n[grid]\ntrain.epochs = [1, 2]\n", "c.toml");
  EXPECT_EQ(a.grid, b.grid);
  EXPECT_EQ(a.grid, c.grid);
}

}  // namespace
}  // namespace longalign::host
