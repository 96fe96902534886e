#include "util/cache_dir.h"

#include <cstdlib>

namespace longalign::host {

std::optional<std::filesystem::path> cache_dir() {
  if (const char* d = std::getenv("LONGALIGN_CACHE_DIR"); d && *d) return std::filesystem::path(d);
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::filesystem::path(x) / "longalign";
  if (const char* h = std::getenv("HOME"); h && *h) return std::filesystem::path(h) / ".cache" / "longalign";
  return std::nullopt;
}

}  // namespace longalign::host
