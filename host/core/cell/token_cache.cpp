#include "cell/token_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "checkpoint/safetensors.h"
#include "util/cache_dir.h"
#include "util/crash_point.h"

namespace longalign::host {
namespace {

constexpr char kMagic[8] = {'L', 'A', 'T', 'O', 'K', 'v', '0', '1'};

struct Trailer {
  uint64_t n_tokens, n_sequences, meta_bytes;
  uint32_t width, reserved;
  char magic[8];
};

uint32_t width_for(uint32_t vocab) { return vocab <= 256 ? 1 : vocab <= 65536 ? 2 : 4; }

void write_all(std::FILE* f, const void* data, size_t n, const std::filesystem::path& file) {
  if (n && std::fwrite(data, 1, n, f) != n) throw std::runtime_error(file.string() + ": write failed: " + std::strerror(errno));
}

// An exclusive lock on a file beside the entry, released on destruction.
struct FileLock {
  int fd;
  explicit FileLock(const std::filesystem::path& file) : fd(open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd < 0 || flock(fd, LOCK_EX) != 0) throw std::runtime_error(file.string() + ": cannot lock: " + std::strerror(errno));
  }
  ~FileLock() {
    flock(fd, LOCK_UN);
    close(fd);
  }
};

bool fresh(const nlohmann::json& meta) {
  if (!meta.contains("inputs")) return true;
  for (auto& in : meta["inputs"])
    if (TokenCache::stamp(in["path"].get<std::string>()) != in) return false;
  return true;
}

}  // namespace

TokenCacheWriter::TokenCacheWriter(std::filesystem::path tmp, uint32_t vocab_size)
    : tmp_(std::move(tmp)), width_(width_for(vocab_size)) {
  ids_ = std::fopen(tmp_.c_str(), "wb");
  targets_ = std::tmpfile();
  if (!ids_ || !targets_) throw std::runtime_error(tmp_.string() + ": cannot create: " + std::strerror(errno));
}

TokenCacheWriter::~TokenCacheWriter() {
  if (ids_) std::fclose(ids_);
  if (targets_) std::fclose(targets_);
}

void TokenCacheWriter::add(const Tokenized& t) {
  buf_.resize(t.ids.size() * width_);
  for (size_t i = 0; i < t.ids.size(); ++i) std::memcpy(buf_.data() + i * width_, &t.ids[i], width_);  // little-endian
  write_all(ids_, buf_.data(), buf_.size(), tmp_);
  write_all(targets_, t.target.data(), t.target.size(), tmp_);
  offsets_.push_back(offsets_.back() + t.ids.size());
}

void TokenCacheWriter::finish(const nlohmann::json& meta) {
  std::rewind(targets_);
  char chunk[1 << 16];
  for (size_t n; (n = std::fread(chunk, 1, sizeof chunk, targets_)) > 0;) write_all(ids_, chunk, n, tmp_);
  write_all(ids_, offsets_.data(), offsets_.size() * sizeof(uint64_t), tmp_);
  const std::string m = meta.dump();
  write_all(ids_, m.data(), m.size(), tmp_);
  Trailer tr{offsets_.back(), offsets_.size() - 1, m.size(), width_, 0, {}};
  std::memcpy(tr.magic, kMagic, sizeof kMagic);
  write_all(ids_, &tr, sizeof tr, tmp_);
  if (std::fflush(ids_) != 0 || fsync(fileno(ids_)) != 0)
    throw std::runtime_error(tmp_.string() + ": cannot flush to disk: " + std::strerror(errno));
  std::fclose(ids_);
  ids_ = nullptr;
}

TokenCacheFile::TokenCacheFile(const std::filesystem::path& file) : map_(std::make_unique<MappedFile>(file)) {
  std::string_view b = map_->bytes();
  auto bad = [&](const char* why) { return std::runtime_error(file.string() + ": not a token cache entry (" + why + ")"); };
  if (b.size() < sizeof(Trailer)) throw bad("too short");
  Trailer tr;
  std::memcpy(&tr, b.data() + b.size() - sizeof tr, sizeof tr);
  if (std::memcmp(tr.magic, kMagic, sizeof kMagic) != 0) throw bad("no trailer");
  if (tr.width != 1 && tr.width != 2 && tr.width != 4) throw bad("id width");
  const uint64_t body = tr.n_tokens * (tr.width + 1) + (tr.n_sequences + 1) * sizeof(uint64_t) + tr.meta_bytes;
  if (tr.n_tokens > b.size() || tr.n_sequences > b.size() || body + sizeof tr != b.size()) throw bad("sizes");
  const auto* base = reinterpret_cast<const unsigned char*>(b.data());
  ids_ = base;
  targets_ = base + tr.n_tokens * tr.width;
  offsets_ = targets_ + tr.n_tokens;  // may sit unaligned: read through memcpy
  width_ = tr.width;
  n_sequences_ = tr.n_sequences;
  meta_ = nlohmann::json::parse(b.substr(body - tr.meta_bytes, tr.meta_bytes), nullptr, false);
  if (meta_.is_discarded()) throw bad("meta");
}

TokenCacheFile::~TokenCacheFile() = default;

Tokenized TokenCacheFile::sequence(size_t i) const {
  uint64_t from, to;
  std::memcpy(&from, offsets_ + i * sizeof(uint64_t), sizeof from);
  std::memcpy(&to, offsets_ + (i + 1) * sizeof(uint64_t), sizeof to);
  Tokenized t;
  t.ids.resize(to - from);
  for (uint64_t k = 0; k < to - from; ++k) {
    uint32_t id = 0;
    std::memcpy(&id, ids_ + (from + k) * width_, width_);
    t.ids[k] = id;
  }
  t.target.assign(targets_ + from, targets_ + to);
  return t;
}

TokenCache::TokenCache(std::filesystem::path dir) : dir_(std::move(dir)) { std::filesystem::create_directories(dir_); }

TokenCache TokenCache::open_default() {
  auto dir = cache_dir();
  return TokenCache(dir ? *dir / "tokens" : std::filesystem::temp_directory_path() / "longalign-tokens");
}

nlohmann::json TokenCache::stamp(const std::filesystem::path& file) {
  struct stat st{};
  if (stat(file.c_str(), &st) != 0) return {{"path", file.string()}, {"bytes", -1}, {"mtime_ns", -1}};
  return {{"path", file.string()},
          {"bytes", static_cast<int64_t>(st.st_size)},
          {"mtime_ns", static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec}};
}

std::unique_ptr<TokenCacheFile> TokenCache::get(const std::string& key, uint32_t vocab_size,
                                                const std::function<nlohmann::json(TokenCacheWriter&)>& build, bool* built) {
  const auto file = dir_ / (key + ".tokens");
  FileLock lock(dir_ / (key + ".lock"));
  if (std::filesystem::exists(file)) {
    try {
      auto entry = std::make_unique<TokenCacheFile>(file);
      if (fresh(entry->meta())) {
        if (built) *built = false;
        return entry;
      }
    } catch (const std::exception&) {
      // unreadable: rebuilt below
    }
  }
  const auto tmp = dir_ / (key + ".tokens.tmp." + std::to_string(getpid()));
  try {
    TokenCacheWriter w(tmp, vocab_size);
    w.finish(build(w));
    crash_point("cache.write");
    std::filesystem::rename(tmp, file);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  if (built) *built = true;
  return std::make_unique<TokenCacheFile>(file);
}

}  // namespace longalign::host
