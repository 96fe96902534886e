// Tokenized [[data]] entries cached on disk, so the cells of a sweep that share an entry (same
// source, params, seed, tokenizer and template) read it instead of tokenizing it again.
//
// An entry is one file, written as it is tokenized (memory stays flat however large the
// source) and renamed into place when complete:
//   ids (the narrowest of uint8/16/32 that holds the vocabulary) | targets (one byte a token) |
//   offsets (uint64, one per sequence, plus the end) | meta JSON | trailer
// and read back memory-mapped. Cells that want an entry at once take a lock on it: one builds,
// the others wait and then read. An entry whose inputs (the files its source read, by size and
// modification time) changed since it was built is rebuilt.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "text/chat_template.h"

namespace longalign::host {

class MappedFile;

class TokenCacheWriter {
 public:
  TokenCacheWriter(std::filesystem::path tmp, uint32_t vocab_size);
  ~TokenCacheWriter();
  void add(const Tokenized& t);
  // Writes the meta and trailer and closes the file.
  void finish(const nlohmann::json& meta);

 private:
  std::filesystem::path tmp_;
  std::FILE* ids_ = nullptr;
  std::FILE* targets_ = nullptr;
  uint32_t width_;
  std::vector<uint64_t> offsets_{0};
  std::vector<char> buf_;
};

// A complete entry, mapped read-only.
class TokenCacheFile {
 public:
  explicit TokenCacheFile(const std::filesystem::path& file);  // throws std::runtime_error when malformed
  ~TokenCacheFile();
  size_t size() const { return n_sequences_; }
  Tokenized sequence(size_t i) const;
  const nlohmann::json& meta() const { return meta_; }

 private:
  std::unique_ptr<MappedFile> map_;
  const unsigned char* ids_ = nullptr;
  const uint8_t* targets_ = nullptr;
  const uint8_t* offsets_ = nullptr;
  uint32_t width_ = 0;
  size_t n_sequences_ = 0;
  nlohmann::json meta_;
};

class TokenCache {
 public:
  explicit TokenCache(std::filesystem::path dir);
  // Under the longalign cache dir (util/cache_dir.h), else a temporary dir.
  static TokenCache open_default();

  // The entry for key: read when present and fresh; else `build` fills a writer and returns the
  // meta to keep (its "inputs": [{path, bytes, mtime_ns}] are checked for freshness later).
  // `built` says which happened.
  std::unique_ptr<TokenCacheFile> get(const std::string& key, uint32_t vocab_size,
                                      const std::function<nlohmann::json(TokenCacheWriter&)>& build, bool* built = nullptr);

  // {"path", "bytes", "mtime_ns"} of a file, for an entry's "inputs".
  static nlohmann::json stamp(const std::filesystem::path& file);

 private:
  std::filesystem::path dir_;
};

}  // namespace longalign::host
