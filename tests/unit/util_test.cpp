// Utilities: build info, hashing, UTF-8, suggestions, subprocesses, the ELF pre-check.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "plugin/elf_check.h"
#include "util/build_info.h"
#include "util/nearest.h"
#include "util/sha256.h"
#include "util/subprocess.h"
#include <longalign/utf8.hpp>

namespace longalign::host {
namespace {

TEST(BuildInfo, ShortCommitKeepsTheDirtyMark) {
  EXPECT_EQ(short_commit("5557dda862615a841ccf0cfb766e86afa2d8ebe9"), "5557dda862");
  EXPECT_EQ(short_commit("5557dda862615a841ccf0cfb766e86afa2d8ebe9-dirty"), "5557dda862-dirty");
  EXPECT_EQ(short_commit("unknown"), "unknown");
  EXPECT_TRUE(git_commit() == "unknown" || git_commit().find_first_not_of("0123456789abcdef") >= 40) << git_commit();
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Utf8, AcceptsValidRejectsInvalid) {
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("h\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_utf8("\xFF"));
}

TEST(Utf8, RepairReplacesEachMaximalInvalidSubpartAndKeepsCharacters) {
  EXPECT_EQ(repaired_utf8("h\xC3\xA9 \xF0\x9F\x98\x80"), "h\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(repaired_utf8("a\xC2"), "a\xEF\xBF\xBD");                     // a cut character
  EXPECT_EQ(repaired_utf8("\xFF\xFEx"), "\xEF\xBF\xBD\xEF\xBF\xBDx");  // one U+FFFD a byte
  EXPECT_EQ(repaired_utf8("\xC3(\xA9"), "\xEF\xBF\xBD(\xEF\xBF\xBD");
  EXPECT_TRUE(valid_utf8(repaired_utf8("\xED\xA0\x80\xC0\xAF")));
  // One U+FFFD for each maximal subpart, as WHATWG's TextDecoder and Python read the bytes.
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(repaired_utf8("\xE6\x96z"), r + "z");          // a truncated 3-byte sequence: one
  EXPECT_EQ(repaired_utf8("\xC0\xAF"), r + r);             // an overlong: each byte
  EXPECT_EQ(repaired_utf8("\xED\xA0\x80"), r + r + r);     // a surrogate: each byte
  EXPECT_EQ(repaired_utf8("\xF0\x9F\x98"), r);            // cut at the end
}

TEST(Nearest, SuggestsOnlyPlausibleTypos) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(nearest("batchign", {"batching", "loss", "data"}), "batching");
  EXPECT_EQ(nearest("xyz", {"batching", "loss"}), std::nullopt);
  EXPECT_EQ(did_you_mean("los", {"loss"}), " (did you mean 'loss'?)");
}

TEST(Subprocess, ReportsExitCodesSignalsOutputAndTimeouts) {
  auto r = run_process({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.describe(), "exited with code 3");
  r = run_process({"/bin/sh", "-c", "kill -SEGV $$"}, std::chrono::seconds(10));
  EXPECT_EQ(r.describe(), "killed by signal 11 (SIGSEGV)");
  r = run_process({"/bin/sh", "-c", "exec >&- 2>&-; sleep 30"}, std::chrono::milliseconds(300));
  EXPECT_TRUE(r.timed_out);
  r = run_process({"/nonexistent/binary"}, std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 127);
}

// A spawned child gets the variables, descriptors and process group asked for, and the rest of
// this process's environment.
TEST(Subprocess, SpawnedChildGetsItsEnvironmentDescriptorsAndGroup) {
  setenv("LONGALIGN_SPAWN_INHERITED", "kept", 1);
  setenv("LONGALIGN_SPAWN_REPLACED", "old", 1);
  int out[2], events[2];
  ASSERT_EQ(pipe(out), 0);
  ASSERT_EQ(pipe(events), 0);
  ChildSpec child{{"/bin/sh", "-c",
                   "echo \"$LONGALIGN_SPAWN_INHERITED $LONGALIGN_SPAWN_REPLACED $LONGALIGN_SPAWN_NEW\"; "
                   "echo event >&3; [ \"$(cut -d' ' -f5 /proc/$$/stat)\" = \"$$\" ] && echo leader"}};
  child.env = {{"LONGALIGN_SPAWN_REPLACED", "new"}, {"LONGALIGN_SPAWN_NEW", "added"}};
  child.stdout_fd = out[1];
  child.fd3 = events[1];
  child.own_process_group = true;
  const pid_t pid = spawn(child);
  close(out[1]);
  close(events[1]);
  auto read_all = [](int fd) {
    std::string text;
    char buf[256];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    close(fd);
    return text;
  };
  EXPECT_EQ(read_all(out[0]), "kept new added\nleader\n");
  EXPECT_EQ(read_all(events[0]), "event\n");
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  unsetenv("LONGALIGN_SPAWN_INHERITED");
  unsetenv("LONGALIGN_SPAWN_REPLACED");
}

TEST(ElfCheck, TellsWhatIsWrong) {
  auto dir = std::filesystem::temp_directory_path() / ("la-elf-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "text.so") << "not a library";
  EXPECT_EQ(check_elf_file(dir / "text.so"), "is not an ELF file");
  std::filesystem::path libc = "/lib/x86_64-linux-gnu/libc.so.6";
  if (std::filesystem::exists(libc)) {
    EXPECT_EQ(check_elf_file(libc), "");
    std::ifstream in(libc, std::ios::binary);
    std::string head(4096, '\0');
    in.read(head.data(), 4096);
    std::ofstream(dir / "cut.so", std::ios::binary) << head;
    EXPECT_NE(check_elf_file(dir / "cut.so").find("is truncated"), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace longalign::host
