// A cheap look at a file before dlopen: dlopen of a truncated ELF file can crash the process
// (SIGBUS when a mapped segment lies past the end of the file), so we check it first.
#pragma once
#include <filesystem>
#include <string>

namespace longalign::host {

// Empty when the file is a complete ELF shared object for this machine; else why it is not.
std::string check_elf_file(const std::filesystem::path& path);

}  // namespace longalign::host
