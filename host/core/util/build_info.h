// What built this binary, recorded with every run.
#pragma once
#include <string>

namespace longalign::host {

std::string longalign_version();  // e.g. "0.1.0"
std::string git_commit();         // the source tree's commit at configure time, or "unknown"
std::string host_name();

}  // namespace longalign::host
