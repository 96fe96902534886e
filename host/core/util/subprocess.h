// Child processes: started one way everywhere (the runner's cells, a cell's local ranks, probes
// and tools), each dying with its parent (PR_SET_PDEATHSIG), so a killed host leaves no orphans.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
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

// What a child starts as: the program and its arguments (argv[0] is the executable's path), the
// variables it gets beyond this process's environment, and the descriptors it gets as its stdin,
// stdout and stderr (-1: this process's own) and as fd 3 (-1: none).
struct ChildSpec {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1, fd3 = -1;
  // The child leads a process group of its own: signalling -pid reaches what it starts too, and
  // a Ctrl-C at the terminal reaches only this process, which stops its children itself.
  bool own_process_group = false;
};

// Forks and execs; returns the child's pid. A child that cannot exec says why on its stderr and
// exits with 127. Throws std::runtime_error when fork fails.
pid_t spawn(const ChildSpec& child);

// Replaces this process with argv (a verb handing over to another binary); returns only when
// exec failed, with errno set.
void exec_replacing(const std::vector<std::string>& argv);

// Runs argv to completion, its stdout and stderr captured. Throws std::runtime_error when it
// cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// An executable's path from PATH, or nullopt.
std::optional<std::string> find_program(const std::string& name);

// "SIGSEGV" for 11, and so on; "signal N" for the unnamed.
std::string signal_name(int sig);

}  // namespace longalign::host
