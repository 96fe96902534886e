// The results store: migrations, merging (twice = once), several writer processes at once, and
// a writer killed with SIGKILL mid-transaction.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "util/input_error.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

std::string dump(Store& s) {
  std::string out;
  for (const char* q : {"SELECT cell_id, status, attempts, params_json FROM runs ORDER BY cell_id",
                        "SELECT cell_id, name, step, value FROM step_metrics ORDER BY 1, 2, 3",
                        "SELECT cell_id, name, value FROM run_metrics ORDER BY 1, 2"}) {
    auto st = s.db().prepare(q);
    while (st.step())
      for (int c = 0; c < st.columns(); ++c) out += st.text_at(c) + "|";
    out += "\n";
  }
  return out;
}

RunRecord record(const std::string& id, const std::string& status) {
  RunRecord r;
  r.cell_id = id;
  r.sweep = "s";
  r.status = status;
  r.params_json = "{\"x\":1}";
  return r;
}

TEST(Store, MigratesANewFileAndRefusesAFutureOne) {
  test::ScratchDir dir("store");
  std::string f = (dir.path / "r.sqlite").string();
  {
    Store s(f, OpenMode::kCreateIfMissing);
    EXPECT_EQ(s.schema_version(), kSchemaVersion);
    s.upsert_run(record("a", "done"));
  }
  {
    Store again(f, OpenMode::kCreateIfMissing);  // already current: nothing changes
    EXPECT_EQ(again.run("a")->status, "done");
    again.db().exec("PRAGMA user_version = 99");
  }
  try {
    Store future(f, OpenMode::kCreateIfMissing);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), f + ": written by a newer longalign (schema version 99; this one knows up to 1)");
  }
}

TEST(Store, MergingTwiceEqualsMergingOnce) {
  test::ScratchDir dir("store");
  std::string cell = (dir.path / "cell.sqlite").string(), sweep = (dir.path / "sweep.sqlite").string();
  {
    Store c(cell, OpenMode::kCreateIfMissing);
    c.upsert_run(record("c1", "done"));
    MetricWriter w(c, "c1", 7);
    for (int i = 0; i < 20; ++i) w.add(i, "loss", 1.0 / (i + 1));
    w.flush();
    c.put_run_metric("c1", "plan.rows", 12);
  }
  Store s(sweep, OpenMode::kCreateIfMissing);
  RunRecord prior = record("c1", "running");
  prior.attempts = 3;
  s.upsert_run(prior);
  s.merge(cell);
  std::string once = dump(s);
  s.merge(cell);
  EXPECT_EQ(dump(s), once);
  EXPECT_EQ(s.run("c1")->status, "done");
  EXPECT_EQ(s.run("c1")->attempts, 3);  // the sweep's own count survives merges
  EXPECT_NE(once.find("c1|loss|19|"), std::string::npos);
}

TEST(Store, SeveralProcessesWriteOneFileWithoutLockErrors) {
  test::ScratchDir dir("store");
  std::string f = (dir.path / "shared.sqlite").string();
  { Store init(f, OpenMode::kCreateIfMissing); }
  constexpr int kWriters = 6, kRows = 600;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    if (pid == 0) {
      try {
        Store s(f, OpenMode::kCreateIfMissing);
        MetricWriter m(s, "cell" + std::to_string(w), 16);
        for (int i = 0; i < kRows; ++i) m.add(i, "loss", i);
        m.flush();
        _exit(0);
      } catch (const std::exception& e) {
        fprintf(stderr, "writer %d: %s\n", w, e.what());
        _exit(1);
      }
    }
    pids.push_back(pid);
  }
  for (pid_t p : pids) {
    int status = 0;
    waitpid(p, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  Store s(f, OpenMode::kCreateIfMissing);
  auto q = s.db().prepare("SELECT count(*) FROM step_metrics");
  q.step();
  EXPECT_EQ(q.int_at(0), kWriters * kRows);
}

TEST(Store, AWriterKilledMidWriteLeavesAConsistentFile) {
  test::ScratchDir dir("store");
  std::string f = (dir.path / "killed.sqlite").string();
  { Store init(f, OpenMode::kCreateIfMissing); }
  constexpr int kBatch = 50;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = fork();
  if (pid == 0) {
    Store s(f, OpenMode::kCreateIfMissing);
    MetricWriter m(s, "cell", kBatch);
    for (int64_t i = 0;; ++i) {
      m.add(i, "loss", static_cast<double>(i));
      if (i == 10 * kBatch && write(ready[1], "x", 1) != 1) _exit(2);
    }
  }
  char b;
  ASSERT_EQ(read(ready[0], &b, 1), 1);
  usleep(30000);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  Store s(f, OpenMode::kCreateIfMissing);
  auto check = s.db().prepare("PRAGMA integrity_check");
  check.step();
  EXPECT_EQ(check.text_at(0), "ok");
  auto q = s.db().prepare("SELECT count(*), max(step) FROM step_metrics");
  q.step();
  EXPECT_GE(q.int_at(0), 10 * kBatch);
  EXPECT_EQ(q.int_at(0) % kBatch, 0);          // only whole transactions are there
  EXPECT_EQ(q.int_at(1) + 1, q.int_at(0));     // with no gap
}

}  // namespace
}  // namespace longalign::host
