// Runs a child process to completion with captured output and a timeout. The child dies with
// its parent (PR_SET_PDEATHSIG), so a killed host leaves no orphans.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace longalign::host {

struct ProcessResult {
  bool timed_out = false;
  int exit_code = -1;  // when the child exited
  int signal = 0;      // when a signal ended it
  std::string out, err;
  bool ok() const { return !timed_out && signal == 0 && exit_code == 0; }
  // "exited with code 3", "killed by signal 11 (SIGSEGV)", "timed out after 10 s".
  std::string describe() const;
};

// argv[0] is the executable's path. Throws std::runtime_error when it cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// An executable's path from PATH, or nullopt.
std::optional<std::string> find_program(const std::string& name);

// "SIGSEGV" for 11, and so on; "signal N" for the unnamed.
std::string signal_name(int sig);

}  // namespace longalign::host
