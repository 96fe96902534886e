#include "util/lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "util/input_error.h"

namespace longalign::host {
namespace {

std::string cannot_create(int err) {
  switch (err) {
    case ENAMETOOLONG: return "the path is too long for this system";
    case EACCES:
    case EPERM: return "its directory is not writable by this user";
    case EROFS: return "its directory is on a read-only filesystem";
    case ENOSPC: return "no space left on the device";
    case EDQUOT: return "the disk quota is used up";
    case ENOENT: return "its directory does not exist";
    case ENOTDIR: return "a part of the path is not a directory";
    case EISDIR: return "it is a directory";
    default: return "the file cannot be created";
  }
}

// What the holder wrote into the file: "pid 1234 started 2026-12-07T06:40:00Z".
std::string holder(int fd) {
  char buf[128] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s;
}

}  // namespace

LockFile::LockFile(const std::string& file, const std::string& what) {
  fd_ = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int err = errno;
    std::error_code ec;
    const bool there = std::filesystem::exists(file, ec);  // then the file, not its directory, is what refuses us
    throw InputError({file}, "", (there ? "cannot open the lock file for " : "cannot create the lock file for ") + what +
                                     ": " + (there && (err == EACCES || err == EPERM) ? "it is not writable by this user"
                                                                                      : cannot_create(err)) +
                                     " (" + std::strerror(err) + ")");
  }
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string who = err == EWOULDBLOCK ? holder(fd_) : "";
    close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) throw InputError({file}, "", "cannot lock " + what + ": " + std::strerror(err));
    throw InputError({file}, "", "another `longalign run` is writing " + what + (who.empty() ? "" : " (" + who + ")") +
                                     "; wait for it or stop it");
  }
  char started[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
  const std::string me = "pid " + std::to_string(getpid()) + ", started " + started + "\n";
  // Best effort: the lock holds whether or not the note fits on the disk.
  if (ftruncate(fd_, 0) == 0 && pwrite(fd_, me.data(), me.size(), 0) < 0) {
  }
}

LockFile::~LockFile() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace longalign::host
