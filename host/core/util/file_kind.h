// What a path a user gave as a file really is, in words for an error message: "" for a regular
// file, else "no such file", "is a directory", "is a FIFO (named pipe)", "is a loop of symbolic
// links", ... (what stat() says).
#pragma once
#include <string>

namespace longalign::host {

std::string not_a_regular_file(const std::string& path);

}  // namespace longalign::host
