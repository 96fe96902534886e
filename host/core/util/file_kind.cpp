#include "util/file_kind.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace longalign::host {

std::string not_a_regular_file(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return "no such file";
    if (errno == ELOOP) return "is a loop of symbolic links";
    if (errno == ENOTDIR) return "no such file (a part of the path is not a directory)";
    return std::string("cannot be read: ") + std::strerror(errno);
  }
  if (S_ISREG(st.st_mode)) return "";
  if (S_ISDIR(st.st_mode)) return "is a directory";
  if (S_ISFIFO(st.st_mode)) return "is a FIFO (named pipe)";
  if (S_ISSOCK(st.st_mode)) return "is a socket";
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "is a device";
  return "is not a regular file";
}

}  // namespace longalign::host
