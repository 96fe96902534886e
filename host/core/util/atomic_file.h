// Writing a file so a reader finds the old one or the new one, never half of one: a temporary
// file of this write's own beside it, every byte written and fsynced, then renamed over it and
// the directory fsynced. A failure (a full disk,
// an I/O error) throws std::runtime_error naming the file and the system's reason, and leaves
// the old file as it was.
#pragma once
#include <filesystem>
#include <string_view>

namespace longalign::host {

void write_file_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace longalign::host
