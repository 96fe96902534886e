// The runner with the real binary and plugins: cells that abort, are SIGKILLed or hang are
// recorded with their cause while the rest finish; a rerun resumes; a runner killed with
// SIGKILL leaves no live cell; SIGINT stops the cells and marks them interrupted.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "store/store.h"
#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

struct SweepDir : test::ScratchDir {
  explicit SweepDir(const std::string& body) : ScratchDir("runner") { write(body); }
  void write(const std::string& body) const {
    std::ofstream(path / "s.toml") << "name = \"faults\"\nplugin_dirs = [\"" << test::kRunnerFixtures.string() << "\"]\n"
                                   << body << R"(
[[data]]
name = "d"
source = "fault"
)";
  }
  std::string sweep() const { return (path / "s.toml").string(); }
  std::string db() const { return (path / "r.sqlite").string(); }
  std::vector<std::string> argv(std::vector<std::string> extra) const {
    std::vector<std::string> a = {"/usr/bin/env", "LONGALIGN_CACHE_DIR=" + (path / "cache").string(), test::kBin.string(),
                                  "run", sweep(), "--db", db()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  ProcessResult run(std::vector<std::string> extra = {}) const { return run_process(argv(extra), std::chrono::seconds(120)); }
  std::map<std::string, RunRecord> runs() const {
    Store s(db(), OpenMode::kExisting);
    std::map<std::string, RunRecord> out;
    auto q = s.db().prepare("SELECT cell_id, json_extract(params_json, '$.data.d.params.mode') FROM runs");
    std::vector<std::pair<std::string, std::string>> ids;
    while (q.step()) ids.emplace_back(q.text_at(0), q.text_at(1));
    for (auto& [id, mode] : ids) out[mode + "/" + std::to_string(s.run(id)->seed)] = *s.run(id);
    return out;
  }
};

// A background runner, killed (with its cells) if a test leaves before reaping it.
struct Background {
  pid_t pid;
  ~Background() {
    if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  operator pid_t() const { return pid; }
};

// Starts a runner in the background with its output discarded.
Background spawn_quiet(std::vector<std::string> argv) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    execv(a[0], a.data());
    _exit(127);
  }
  return {pid};
}

// Pids of live `longalign cell` processes whose command line mentions `dir`.
std::vector<pid_t> cells_under(const std::filesystem::path& dir) {
  std::vector<pid_t> pids;
  for (auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), {});
    std::ifstream st(e.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(st)), {});
    bool zombie = stat.find(") Z ") != std::string::npos;
    if (!zombie && cmd.find(std::string("cell") + '\0' + "--spec") != std::string::npos && cmd.find(dir.string()) != std::string::npos)
      pids.push_back(std::stoi(name));
  }
  return pids;
}

TEST(Runner, RecordsEachCrashAndResumesOnlyThoseCells) {
  // No short timeout where a healthy cell runs, so a loaded machine cannot turn one into a
  // timeout: the hanging cell joins the sweep later, in runs where only failed cells run.
  const std::string grid = R"(
timeout_s = 600
seeds = [0]
[grid]
"data.d.params.mode" = [MODES]
[[include]]
"data.d.params.mode" = "none"
[[include]]
"data.d.params.mode" = "none"
"data.d.params.count" = 7
)";
  auto with_modes = [&](const std::string& modes) { return std::string(grid).replace(grid.find("MODES"), 5, modes); };
  SweepDir d(with_modes("\"abort\", \"sigkill\""));
  ProcessResult first = d.run();
  EXPECT_EQ(first.exit_code, 1) << first.err;
  auto runs = d.runs();
  ASSERT_EQ(runs.size(), 3u) << first.err;  // the two healthy cells share a key here; count them below
  Store s(d.db(), OpenMode::kExisting);
  auto q = s.db().prepare("SELECT count(*) FROM runs WHERE status = 'done'");
  q.step();
  EXPECT_EQ(q.int_at(0), 2);
  EXPECT_EQ(runs["abort/0"].status, "failed");
  EXPECT_EQ(runs["abort/0"].error.value_or(""), "killed by signal 6 (SIGABRT)");
  EXPECT_NE(runs["abort/0"].stderr_tail.value_or("").find("fault: about to abort"), std::string::npos);
  EXPECT_EQ(runs["sigkill/0"].error.value_or(""), "killed by signal 9 (SIGKILL): out of memory, or killed from outside");
  EXPECT_EQ(runs["none/0"].status, "done");

  d.write(with_modes("\"abort\", \"sigkill\", \"hang\""));
  ProcessResult second = d.run({"--timeout", "1"});  // only the two failed cells and the new one run
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("3 to run, 2 already done"), std::string::npos) << second.err;
  runs = d.runs();
  EXPECT_EQ(runs["hang/0"].error.value_or(""), "timed out after 1.0 s (killed)");
  EXPECT_EQ(runs["abort/0"].attempts, 2);
  EXPECT_EQ(runs["hang/0"].attempts, 1);
  EXPECT_EQ(runs["none/0"].attempts, 1);

  ProcessResult failed_only = d.run({"--rerun-failed", "--timeout", "2"});
  EXPECT_NE(failed_only.err.find("3 to run"), std::string::npos) << failed_only.err;
  EXPECT_EQ(d.runs()["hang/0"].error.value_or(""), "timed out after 2.0 s (killed)");
  EXPECT_EQ(d.runs()["hang/0"].attempts, 2);
  ProcessResult forced = d.run({"--force", "--timeout", "1"});
  EXPECT_NE(forced.err.find("5 to run"), std::string::npos) << forced.err;
  EXPECT_EQ(d.runs()["none/0"].attempts, 2);
}

// --force-changed runs again only the done cells another build of longalign (or other plugin
// files) made; a plain run keeps them and says so.
TEST(Runner, ForceChangedRetrainsOnlyCellsMadeByOtherCode) {
  SweepDir d("[grid]\n\"data.d.params.count\" = [1, 2]\n");
  ASSERT_EQ(d.run().exit_code, 0);
  {
    Store s(d.db(), OpenMode::kExisting);
    s.db().exec("UPDATE runs SET git_commit = '0123456789abcdef' WHERE json_extract(params_json, '$.data.d.params.count') = 1");
  }
  ProcessResult kept = d.run();
  EXPECT_EQ(kept.exit_code, 0);
  EXPECT_NE(kept.err.find("0 to run, 2 already done"), std::string::npos) << kept.err;
  EXPECT_NE(kept.err.find("warning: done cells were made with other code (longalign 0123456789 -> "), std::string::npos) << kept.err;
  EXPECT_NE(kept.err.find("--force-changed retrains those"), std::string::npos) << kept.err;
  ProcessResult changed = d.run({"--force-changed"});
  EXPECT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_NE(changed.err.find("1 to run, 1 already done"), std::string::npos) << changed.err;
  Store s(d.db(), OpenMode::kExisting);
  auto q = s.db().prepare("SELECT json_extract(params_json, '$.data.d.params.count'), attempts, git_commit FROM runs ORDER BY 1");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.int_at(1), 2) << "retrained";
  EXPECT_NE(q.text_at(2), "0123456789abcdef");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.int_at(1), 1) << "kept";
}

TEST(Runner, AllDoneExitsZeroAndAnErrorValueIsRecorded) {
  SweepDir ok("[grid]\n\"data.d.params.count\" = [1, 2]\n");
  ProcessResult r = ok.run({"--jobs", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  SweepDir bad("[config]\n[[include]]\n\"data.d.params.mode\" = \"error\"\n");
  ProcessResult e = bad.run();
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_EQ(bad.runs()["error/0"].error.value_or(""), "plugin 'fault' next failed: the disk went away");
}

TEST(Runner, ASigkilledRunnerLeavesNoLiveCellAndTheNextRunResumes) {
  SweepDir d("[grid]\n\"data.d.params.mode\" = [\"hang\"]\n\"data.d.params.count\" = [1, 2]\n");
  auto argv = d.argv({"--jobs", "2"});
  Background runner = spawn_quiet(argv);
  std::vector<pid_t> cells;
  for (int i = 0; i < 200 && cells.size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cells = cells_under(d.path);
  }
  ASSERT_EQ(cells.size(), 2u);
  kill(runner, SIGKILL);
  waitpid(runner, nullptr, 0);
  for (int i = 0; i < 100 && !cells_under(d.path).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(cells_under(d.path).empty()) << "cells outlived their runner";
  EXPECT_EQ(d.runs()["hang/0"].status, "running");  // never 'done'
  ProcessResult again = d.run({"--timeout", "0.5"});
  EXPECT_NE(again.err.find("2 to run"), std::string::npos) << again.err;
}

TEST(Runner, SigintStopsCellsAndMarksThemInterrupted) {
  SweepDir d("[grid]\n\"data.d.params.mode\" = [\"hang\"]\n");
  auto argv = d.argv({});
  Background runner = spawn_quiet(argv);
  for (int i = 0; i < 200 && cells_under(d.path).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_FALSE(cells_under(d.path).empty());
  // The runner is `env`'s exec target: same pid.
  kill(runner, SIGINT);
  int status = 0;
  waitpid(runner, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_TRUE(cells_under(d.path).empty());
  EXPECT_EQ(d.runs()["hang/0"].status, "interrupted");
}

TEST(Runner, AnotherRunnerOnTheSameResultsIsRefused) {
  SweepDir d("[grid]\n\"data.d.params.mode\" = [\"hang\"]\n");
  auto argv = d.argv({});
  Background runner = spawn_quiet(argv);
  for (int i = 0; i < 200 && cells_under(d.path).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ProcessResult second = d.run();
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_NE(second.err.find("another `longalign run` is writing this sweep's results"), std::string::npos) << second.err;
  kill(runner, SIGTERM);
  waitpid(runner, nullptr, 0);
}

}  // namespace
}  // namespace longalign::host
