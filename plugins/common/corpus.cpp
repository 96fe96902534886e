#include "corpus.h"

#include <nlohmann/json.hpp>

#include "text_files.h"
#include <longalign/utf8.hpp>

namespace longalign::plugins {

std::vector<CorpusSource> corpus_sources(const longalign::Value& table, const std::string& param) {
  std::vector<CorpusSource> out;
  if (table.type() != LA_PARAM_TABLE) throw Error(LA_ERR_INVALID_ARGUMENT, param + ": expected a table of source = pattern(s)");
  for (size_t i = 0; i < table.size(); ++i) {
    CorpusSource s{std::string(table.key(i)), {}};
    longalign::Value v = table[i];
    const std::string at = param + "." + s.name;
    if (v.type() == LA_PARAM_STRING)
      s.patterns.push_back(v.as_string());
    else if (v.type() == LA_PARAM_LIST)
      for (size_t j = 0; j < v.size(); ++j) {
        if (v[j].type() != LA_PARAM_STRING) throw Error(LA_ERR_INVALID_ARGUMENT, at + ": expected strings (files, directories or globs)");
        s.patterns.push_back(v[j].as_string());
      }
    else
      throw Error(LA_ERR_INVALID_ARGUMENT, at + ": expected a pattern or a list of patterns");
    if (s.patterns.empty()) throw Error(LA_ERR_INVALID_ARGUMENT, at + ": no patterns");
    out.push_back(std::move(s));
  }
  if (out.empty())
    throw Error(LA_ERR_INVALID_ARGUMENT, param + ": name at least one source, e.g. { docs = \"docs/*.md\", code = \"src\" }");
  return out;
}

longalign::Param sources_param() {
  return longalign::Param::table("sources", "{}",
                                 "Named document sources: { name = \"pattern\" | [patterns] }, each a file, directory or "
                                 "glob (.gz read too)")
      .path();
}

Corpus::Corpus(std::vector<CorpusSource> sources, uint64_t max_file_bytes)
    : sources_(std::move(sources)), max_file_bytes_(max_file_bytes) {}

Corpus::Corpus(const longalign::Params& p)
    : Corpus(corpus_sources(p.at("sources"), "sources"), static_cast<uint64_t>(p.get_int("max_file_bytes"))) {}

const std::vector<Document>& Corpus::documents() {
  load();
  return docs_;
}

const std::vector<std::vector<size_t>>& Corpus::by_source() {
  load();
  return by_source_;
}

void Corpus::load() {
  if (loaded_) return;
  for (auto& s : sources_) {
    auto& mine = by_source_.emplace_back();
    for (auto& pattern : s.patterns) {
      std::vector<std::filesystem::path> files;
      try {
        files = expand_inputs(pattern);
      } catch (const std::exception& e) {
        throw Error(LA_ERR_INVALID_ARGUMENT, "source '" + s.name + "': " + e.what());
      }
      for (auto& f : files) {
        std::string text;
        try {
          text = read_text_file(f, max_file_bytes_);
        } catch (const std::exception& e) {
          skipped_.push_back(f.string() + ": " + e.what());
          continue;
        }
        if (text.find('\0') != std::string::npos || !longalign::valid_utf8(text) ||
            text.find_first_not_of(" \t\r\n") == std::string::npos) {
          skipped_.push_back(f.string() + ": not text");
          continue;
        }
        mine.push_back(docs_.size());
        docs_.push_back({s.name, f.string(), std::move(text)});
      }
    }
    if (mine.empty()) throw Error(LA_ERR_INVALID_ARGUMENT, "source '" + s.name + "' holds no text document");
  }
  loaded_ = true;
}

std::string Corpus::provenance_json() {
  nlohmann::json files = nlohmann::json::array();
  for (auto& d : docs_) files.push_back(d.name);
  return nlohmann::json{{"files", files}, {"skipped_files", skipped_}}.dump();
}

}  // namespace longalign::plugins
