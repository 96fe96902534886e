#include "text_files.h"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace longalign::plugins {

std::vector<std::filesystem::path> expand_inputs(const std::string& pattern) {
  namespace fs = std::filesystem;
  std::vector<fs::path> out;
  std::error_code ec;
  if (fs::is_directory(pattern, ec)) {
    for (auto it = fs::recursive_directory_iterator(pattern, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec)) out.push_back(it->path());
  } else {
    glob_t g{};
    int rc = glob(pattern.c_str(), GLOB_BRACE | GLOB_TILDE, nullptr, &g);
    if (rc == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i)
        if (fs::is_regular_file(g.gl_pathv[i], ec)) out.emplace_back(g.gl_pathv[i]);
    globfree(&g);
  }
  if (out.empty()) throw std::runtime_error("'" + pattern + "' matches no file");
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

gzFile open_gz(const std::filesystem::path& file) {
  gzFile gz = gzopen(file.c_str(), "rb");
  if (!gz) throw std::runtime_error(file.string() + ": cannot open (" + std::strerror(errno) + ")");
  gzbuffer(gz, 1 << 17);
  return gz;
}

std::runtime_error read_failed(const std::filesystem::path& file, gzFile gz) {
  int code = 0;
  std::string why = gzerror(gz, &code);
  if (code == Z_ERRNO) why = std::strerror(errno);
  return std::runtime_error(file.string() + ": read failed (" + why + ")");
}

}  // namespace

std::string read_text_file(const std::filesystem::path& file, uint64_t max_bytes) {
  gzFile gz = open_gz(file);
  std::string out;
  char chunk[1 << 16];
  for (;;) {
    int n = gzread(gz, chunk, sizeof chunk);
    if (n < 0) {
      auto error = read_failed(file, gz);
      gzclose(gz);
      throw error;
    }
    if (n == 0) break;
    out.append(chunk, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      gzclose(gz);
      throw std::runtime_error(file.string() + ": larger than the limit of " + std::to_string(max_bytes) + " bytes");
    }
  }
  gzclose(gz);
  return out;
}

LineReader::LineReader(const std::filesystem::path& file, size_t max_line_bytes)
    : file_(file), gz_(open_gz(file)), max_line_(max_line_bytes), buf_(1 << 20) {}

LineReader::~LineReader() {
  if (gz_) gzclose(gz_);
}

bool LineReader::fill() {
  int n = gzread(gz_, buf_.data(), static_cast<unsigned>(buf_.size()));
  if (n < 0) throw read_failed(file_, gz_);
  pos_ = 0;
  end_ = static_cast<size_t>(n);
  bytes_ += end_;
  return n > 0;
}

LineReader::Status LineReader::next(std::string& line) {
  line.clear();
  bool oversized = false, any = false;
  for (;;) {
    if (pos_ == end_ && !fill()) {
      if (!any) return Status::end;
      ++line_no_;  // a last line without a newline
      return oversized ? Status::oversized : Status::line;
    }
    any = true;
    const char* start = buf_.data() + pos_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
    const size_t n = nl ? static_cast<size_t>(nl - start) : end_ - pos_;
    if (!oversized && line.size() + n <= max_line_)
      line.append(start, n);
    else if (!oversized) {
      oversized = true;
      line.clear();
    }
    pos_ += n + (nl ? 1 : 0);
    if (nl) {
      ++line_no_;
      if (!oversized && !line.empty() && line.back() == '\r') line.pop_back();
      return oversized ? Status::oversized : Status::line;
    }
  }
}

}  // namespace longalign::plugins
