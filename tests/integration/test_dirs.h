// Paths the build hands the integration tests, and a scratch dir removed after each test.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/sqlite.h"
#include "util/subprocess.h"

namespace longalign::test {

using host::ProcessResult;
using host::run_process;

inline const std::filesystem::path kBin = LONGALIGN_BIN;
inline const std::filesystem::path kScanner = LONGALIGN_SCANNER;
inline const std::filesystem::path kBundled = LONGALIGN_BUNDLED_PLUGIN_DIR;
inline const std::filesystem::path kFixtures = LONGALIGN_FIXTURE_DIR;
inline const std::filesystem::path kRunnerFixtures = LONGALIGN_RUNNER_FIXTURE_DIR;
inline const std::filesystem::path kAbiFixtures = LONGALIGN_ABI_FIXTURE_DIR;

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
  // `longalign ARGS...` with this dir's own cache (plugin probes, tokenized data, LLM replies).
  ProcessResult longalign(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(180)) const {
    std::vector<std::string> argv = {"/usr/bin/env", "LONGALIGN_CACHE_DIR=" + (path / "cache").string(), kBin.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, timeout);
  }
  // `longalign run` of the sweep file s.toml here into r.sqlite here, with more arguments.
  ProcessResult run_sweep(const std::vector<std::string>& more = {}) const {
    std::vector<std::string> args = {"run", (path / "s.toml").string(), "--db", (path / "r.sqlite").string()};
    args.insert(args.end(), more.begin(), more.end());
    return longalign(args);
  }
  // Copies a file in under another name.
  std::filesystem::path add(const std::filesystem::path& from, const std::string& as) const {
    std::filesystem::copy_file(from, path / as, std::filesystem::copy_options::overwrite_existing);
    return path / as;
  }
};

// From the results file of a one-cell sweep: a run metric, or its first step's loss; -1 when the
// file has none.
inline double run_metric(const std::filesystem::path& db, const std::string& name) {
  host::Database d(db.string(), false);
  auto s = d.prepare("SELECT value FROM run_metrics WHERE name = ?1");
  s.bind(1, name);
  return s.step() ? s.real_at(0) : -1;
}

inline double first_loss(const std::filesystem::path& db) {
  host::Database d(db.string(), false);
  auto s = d.prepare("SELECT value FROM step_metrics WHERE name = 'loss' AND step = 0");
  return s.step() ? s.real_at(0) : -1;
}

}  // namespace longalign::test
