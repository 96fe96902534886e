#include "util/read_file.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace longalign::host {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  if (in) bytes << in.rdbuf();
  if (!in) throw std::runtime_error(path.string() + ": cannot be read");
  return bytes.str();
}

}  // namespace longalign::host
