#include "util/build_info.h"

#include <unistd.h>

namespace longalign::host {

std::string longalign_version() { return LONGALIGN_VERSION; }
std::string git_commit() { return LONGALIGN_GIT_COMMIT; }

std::string host_name() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace longalign::host
