// Content hashes for cache keys and ids: SHA-256 (OpenSSL's libcrypto), as lowercase hex.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace longalign::host {

std::string sha256_hex(std::string_view bytes);

// The same hash over data given piece by piece.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  std::string hex();  // once, at the end

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};
// Hashes a file's content in chunks; throws std::runtime_error naming the file when unreadable.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace longalign::host
