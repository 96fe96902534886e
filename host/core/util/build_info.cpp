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

}  // namespace longalign::host
