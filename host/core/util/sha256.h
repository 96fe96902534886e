// Content hashes for cache keys and ids: SHA-256 (OpenSSL's libcrypto), as lowercase hex.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace longalign::host {

std::string sha256_hex(std::string_view bytes);
// Hashes a file's content in chunks; throws std::runtime_error naming the file when unreadable.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace longalign::host
