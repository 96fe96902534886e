// Paths the build hands the integration tests, and a scratch dir removed after each test.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>

namespace longalign::test {

inline const std::filesystem::path kBin = LONGALIGN_BIN;
inline const std::filesystem::path kScanner = LONGALIGN_SCANNER;
inline const std::filesystem::path kBundled = LONGALIGN_BUNDLED_PLUGIN_DIR;
inline const std::filesystem::path kFixtures = LONGALIGN_FIXTURE_DIR;
inline const std::filesystem::path kRunnerFixtures = LONGALIGN_RUNNER_FIXTURE_DIR;

struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(const std::string& name) {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("longalign-" + name + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  // Copies a file in under another name.
  std::filesystem::path add(const std::filesystem::path& from, const std::string& as) const {
    std::filesystem::copy_file(from, path / as, std::filesystem::copy_options::overwrite_existing);
    return path / as;
  }
};

}  // namespace longalign::test
