// A whole file's bytes, for the small files read at once (configs, tokenizer files, fixtures).
#pragma once
#include <filesystem>
#include <string>

namespace longalign::host {

std::string read_file(const std::filesystem::path& path);  // std::runtime_error "PATH: cannot be read"

}  // namespace longalign::host
