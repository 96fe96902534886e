// Bad input, located: "FILE:LINE:COLUMN: key 'train.lr': message". Every error a user can fix
// in a sweep file or on the command line is one of these; the CLI exits 2 on it.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace longalign::host {

struct Location {
  std::string file;  // a path, or "--set" for a command-line override
  uint32_t line = 0, column = 0;
  std::string str() const {
    if (line == 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
};

class InputError : public std::runtime_error {
 public:
  InputError(Location where, std::string key, const std::string& message)
      : std::runtime_error(where.str() + ": " + (key.empty() ? "" : "key '" + key + "': ") + message),
        where_(std::move(where)),
        key_(std::move(key)) {}
  const Location& where() const { return where_; }
  const std::string& key() const { return key_; }

 private:
  Location where_;
  std::string key_;
};

}  // namespace longalign::host
