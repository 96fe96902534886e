// What built this binary, recorded with every run, and where its sibling binaries are.
#pragma once
#include <filesystem>
#include <string>

namespace longalign::host {

std::string longalign_version();  // e.g. "0.1.0"
std::string git_commit();         // the checkout's commit at build time, "-dirty" with local changes, or "unknown"
// A commit's first 10 hex digits, keeping a "-dirty" mark: what messages show.
std::string short_commit(const std::string& commit);
std::string host_name();
// A binary installed beside this one (longalign-cell, longalign-scanner, longalign-model): the
// CLI, the runner and the cell process find each other so, built or installed.
std::filesystem::path sibling_binary(const std::string& name);
// The directory this binary is in (the working directory where /proc cannot tell).
std::filesystem::path executable_dir();

}  // namespace longalign::host
