#include "util/build_info.h"

#include <unistd.h>

#include <algorithm>

#include "git_commit.h"  // generated at each build: LONGALIGN_GIT_COMMIT

namespace longalign::host {

std::string longalign_version() { return LONGALIGN_VERSION; }
std::string git_commit() { return LONGALIGN_GIT_COMMIT; }

std::string short_commit(const std::string& commit) {
  const bool dirty = commit.size() > 6 && commit.compare(commit.size() - 6, 6, "-dirty") == 0;
  return commit.substr(0, std::min<size_t>(10, commit.size() - (dirty ? 6 : 0))) + (dirty ? "-dirty" : "");
}

std::string host_name() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

std::filesystem::path executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path() : exe.parent_path();
}

std::filesystem::path sibling_binary(const std::string& name) { return executable_dir() / name; }

}  // namespace longalign::host
