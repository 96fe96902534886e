// Reading text inputs for data-source plugins: globs expanded to files, files read whole or line
// by line, gzip-compressed or not (zlib reads both), with limits so a huge input fails cleanly.
#pragma once
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace longalign::plugins {

// A pattern's files, sorted: a file, a directory (every regular file under it, recursively), or
// a glob (`*`, `?`, `[...]`, `{a,b}`). Throws std::runtime_error when nothing matches.
std::vector<std::filesystem::path> expand_inputs(const std::string& pattern);

// A file's content, decompressed when it is gzip; throws std::runtime_error naming the file
// when it cannot be read or holds more than max_bytes.
std::string read_text_file(const std::filesystem::path& file, uint64_t max_bytes);

// Streams a file's lines (without the newline), decompressing gzip. A line longer than
// max_line_bytes is not kept: next() reports it as oversized and goes on after it.
class LineReader {
 public:
  LineReader(const std::filesystem::path& file, size_t max_line_bytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  enum class Status { line, oversized, end };
  Status next(std::string& line);
  uint64_t line_number() const { return line_no_; }  // 1-based number of the last line read
  uint64_t bytes_read() const { return bytes_; }      // decompressed bytes so far

 private:
  bool fill();
  std::filesystem::path file_;
  gzFile gz_ = nullptr;
  size_t max_line_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  uint64_t line_no_ = 0, bytes_ = 0;
};

}  // namespace longalign::plugins
