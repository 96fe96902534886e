// Results databases that are not what they should be (the same file twice, a damaged page, 0
// bytes, another program's SQLite file, a directory, a FIFO) and lock files that cannot be made:
// each command exits 2 at once with what is true, naming the file, and writes nothing into it.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "store/store.h"
#include "test_dirs.h"
#include "util/lock_file.h"

namespace longalign::host {
namespace {

using test::ScratchDir;

const std::string kQuickstart = LONGALIGN_SOURCE_DIR "/experiments/quickstart.toml";

std::string bytes_of(const std::filesystem::path& f) {
  std::ifstream in(f, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A finished cell's results file with enough step metrics to span many pages.
std::string results_file(const ScratchDir& dir, const std::string& name) {
  const std::string f = (dir.path / name).string();
  Store s(f, OpenMode::kCreateIfMissing);
  RunRecord r;
  r.cell_id = "c-" + name;
  r.sweep = "s";
  r.status = "done";
  s.upsert_run(r);
  MetricWriter w(s, r.cell_id);
  for (int i = 0; i < 4000; ++i) w.add(i, "loss", 1.0 / (i + 1));
  return f;
}

// Overwrites one page in the middle of the file, as a bad sector or a stray write would.
void damage_a_page(const std::string& f) {
  const auto size = std::filesystem::file_size(f);
  ASSERT_GT(size, 16u * 4096);
  std::fstream io(f, std::ios::binary | std::ios::in | std::ios::out);
  io.seekp(static_cast<std::streamoff>(8 * 4096));
  std::string junk(4096, '\x5a');
  io.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

TEST(BadFiles, MergingAFileIntoItselfIsRefusedAtOnceUnderAnyName) {
  ScratchDir dir("bad-merge");
  const std::string f = results_file(dir, "a.sqlite");
  std::filesystem::create_directories(dir.path / "sub");
  std::filesystem::create_symlink(f, dir.path / "link.sqlite");
  const std::string before = bytes_of(f);
  for (const std::string& other : {f, (dir.path / "link.sqlite").string(), (dir.path / "sub" / ".." / "a.sqlite").string()}) {
    auto r = dir.longalign({"merge", f, other}, std::chrono::seconds(20));
    EXPECT_FALSE(r.timed_out) << other;
    EXPECT_EQ(r.exit_code, 2) << other << ": " << r.err;
    EXPECT_NE(r.err.find("source and destination are the same file"), std::string::npos) << r.err;
  }
  EXPECT_EQ(bytes_of(f), before);
}

TEST(BadFiles, ADamagedDatabaseIsRefusedByEveryCommandAndLeftAlone) {
  ScratchDir dir("bad-damaged");
  const std::string f = results_file(dir, "damaged.sqlite");
  damage_a_page(f);
  const std::string before = bytes_of(f);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"report", f, "--no-plots", "--out", (dir.path / "out").string()},
           {"run", kQuickstart, "--db", f},
           {"eval", kQuickstart, "--db", f},
           {"merge", (dir.path / "new.sqlite").string(), f}}) {
    auto r = dir.longalign(args, std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(f + ": is damaged (SQLite: "), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(".recover"), std::string::npos) << r.err;
    EXPECT_EQ(bytes_of(f), before) << args[0] << " wrote into a damaged file";
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path / "new.sqlite")) << "a merge from a damaged source made its destination";

  auto check = dir.longalign({"db", "check", f});
  EXPECT_EQ(check.exit_code, 1) << check.err;
  EXPECT_EQ(check.out.rfind(f + ": damaged; SQLite's integrity_check found", 0), 0u) << check.out;
  EXPECT_NE(check.out.find("sqlite3 '" + f + "' .recover | sqlite3 recovered.sqlite"), std::string::npos) << check.out;
  auto good = dir.longalign({"db", "check", results_file(dir, "good.sqlite")});
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
  EXPECT_NE(good.out.find(": ok"), std::string::npos);
}

TEST(BadFiles, AnEmptyOrForeignFileIsNotTakenForAResultsDatabase) {
  ScratchDir dir("bad-foreign");
  const std::string empty = (dir.path / "empty.sqlite").string(), text = (dir.path / "notes.sqlite").string(),
                    other = (dir.path / "other.sqlite").string(), cell = results_file(dir, "cell.sqlite");
  std::ofstream(empty).close();
  std::ofstream(text) << "not a database\n";
  {
    Database d(other);
    d.exec("CREATE TABLE visits(who TEXT)");
  }
  struct Case {
    std::string file, says;
  };
  for (const Case& c : {Case{empty, "is empty (0 bytes), not a longalign results database"},
                        Case{text, "is not a longalign results database (not an SQLite file)"},
                        Case{other, "is an SQLite database but not a longalign results database (application_id 0x00000000, no runs table)"}}) {
    const std::string before = bytes_of(c.file);
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"report", c.file, "--no-plots", "--out", (dir.path / "out").string()}, {"merge", c.file, cell}, {"merge", (dir.path / "n.sqlite").string(), c.file}}) {
      auto r = dir.longalign(args);
      EXPECT_EQ(r.exit_code, 2) << args[0] << " " << c.file << ": " << r.err;
      EXPECT_NE(r.err.find(c.file + ": " + c.says), std::string::npos) << r.err;
      EXPECT_EQ(bytes_of(c.file), before) << args[0] << " changed " << c.file;
    }
  }
}

TEST(BadFiles, ADirectoryFifoOrLinkLoopIsCalledWhatItIs) {
  ScratchDir dir("bad-kinds");
  std::filesystem::create_directories(dir.path / "a-dir.sqlite");
  ASSERT_EQ(mkfifo((dir.path / "pipe.sqlite").c_str(), 0600), 0);
  std::filesystem::create_symlink(dir.path / "loop.sqlite", dir.path / "loop.sqlite");
  for (auto [name, says] : {std::pair<std::string, std::string>{"a-dir.sqlite", "is a directory, not a results database"},
                            {"pipe.sqlite", "is a FIFO (named pipe), not a results database"},
                            {"loop.sqlite", "is a loop of symbolic links, not a results database"}}) {
    const std::string f = (dir.path / name).string();
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"report", f, "--no-plots"}, {"run", kQuickstart, "--db", f}}) {
      auto r = dir.longalign(args, std::chrono::seconds(30));
      EXPECT_EQ(r.exit_code, 2) << args[0] << " " << name << ": " << r.err;
      EXPECT_NE(r.err.find(f + ": " + says), std::string::npos) << r.err;
    }
  }
}

TEST(BadFiles, ALockHeldElsewhereNamesItsHolderAndOtherFailuresTheirCause) {
  ScratchDir dir("bad-lock");
  const std::string db = (dir.path / "r.sqlite").string();
  {
    LockFile held(db + ".lock", "this sweep's results");
    auto r = dir.longalign({"run", kQuickstart, "--db", db});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(db + ".lock: another `longalign run` is writing this sweep's results (pid " + std::to_string(getpid()) +
                         ", started "),
              std::string::npos)
        << r.err;
  }
  const std::string too_long = (dir.path / (std::string(250, 'x') + ".sqlite")).string();
  auto r = dir.longalign({"run", kQuickstart, "--db", too_long});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(too_long + ".lock: cannot create the lock file for this sweep's results: the path is too long for this system"),
            std::string::npos)
      << r.err;
  // A read-only mount, a full disk, a directory of someone else's, as the kernel reports them
  // (tests/fault/fail_writes.c, whatever user runs the test).
  const std::string fresh = (dir.path / "new.sqlite").string();
  for (auto [error, says] : {std::pair<std::string, std::string>{"EROFS", "its directory is on a read-only filesystem (Read-only file system)"},
                             {"ENOSPC", "no space left on the device (No space left on device)"},
                             {"EACCES", "its directory is not writable by this user (Permission denied)"}}) {
    auto refused = run_process({"/usr/bin/env", "LONGALIGN_CACHE_DIR=" + (dir.path / "cache").string(), "LD_PRELOAD=" LONGALIGN_FAIL_WRITES,
                                "LONGALIGN_FAIL_CREATES=new.sqlite.lock:" + error, test::kBin.string(), "run", kQuickstart, "--db", fresh},
                               std::chrono::seconds(60));
    EXPECT_EQ(refused.exit_code, 2) << error << ": " << refused.err;
    EXPECT_NE(refused.err.find(fresh + ".lock: cannot create the lock file for this sweep's results: " + says), std::string::npos)
        << error << ": " << refused.err;
  }
  if (geteuid() != 0) {  // root writes anywhere
    std::filesystem::create_directories(dir.path / "ro");
    chmod((dir.path / "ro").c_str(), 0555);
    auto ro = dir.longalign({"run", kQuickstart, "--db", (dir.path / "ro" / "r.sqlite").string()});
    EXPECT_EQ(ro.exit_code, 2) << ro.err;
    EXPECT_NE(ro.err.find("its directory is not writable by this user"), std::string::npos) << ro.err;
    chmod((dir.path / "ro").c_str(), 0755);
  }
}

}  // namespace
}  // namespace longalign::host
