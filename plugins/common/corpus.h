// Long documents from named sources, for the data sources that build on documents (corpus-tasks,
// text-corpus, self-instruct). Each source is a list of files, directories or globs; every
// matching file is one document (gzip read too). Files that are not text (a NUL byte, or not
// UTF-8) are skipped and counted, so a directory of mixed content is usable as it is.
#pragma once
#include <longalign/plugin.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace longalign::plugins {

struct Document {
  std::string source;  // the source's name, e.g. "code"
  std::string name;    // the file's path as matched
  std::string text;
};

struct CorpusSource {
  std::string name;
  std::vector<std::string> patterns;
};

// Reads a TABLE parameter {name = "pattern" | ["pattern", ...]}; throws longalign::Error naming
// the parameter when it is empty or holds something else.
std::vector<CorpusSource> corpus_sources(const longalign::Value& table, const std::string& param);

// The `sources` parameter every source built on a corpus declares (its files relative to the
// sweep file).
longalign::Param sources_param();

class Corpus {
 public:
  Corpus(std::vector<CorpusSource> sources, uint64_t max_file_bytes);
  // From a plugin's `sources` and `max_file_bytes` parameters.
  explicit Corpus(const longalign::Params& p);
  // Loads on first use; throws longalign::Error when a pattern matches nothing or a source holds
  // no text document.
  const std::vector<Document>& documents();
  // The documents' indices, per source, in the order the sources were named.
  const std::vector<std::vector<size_t>>& by_source();
  const std::vector<CorpusSource>& sources() const { return sources_; }
  // {"files": [...], "skipped_files": [...]} for the host's record.
  std::string provenance_json();

 private:
  void load();
  std::vector<CorpusSource> sources_;
  uint64_t max_file_bytes_;
  bool loaded_ = false;
  std::vector<Document> docs_;
  std::vector<std::vector<size_t>> by_source_;
  std::vector<std::string> skipped_;
};

}  // namespace longalign::plugins
