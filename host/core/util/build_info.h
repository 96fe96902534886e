// What built this binary, recorded with every run.
#pragma once
#include <string>

namespace longalign::host {

std::string longalign_version();  // e.g. "0.1.0"
std::string git_commit();         // the checkout's commit at build time, "-dirty" with local changes, or "unknown"
// A commit's first 10 hex digits, keeping a "-dirty" mark: what messages show.
std::string short_commit(const std::string& commit);
std::string host_name();

}  // namespace longalign::host
