// The documents of one corpus-tasks example and the tasks that can be asked about them. A
// context is a few excerpts (whole lines, from distinct documents where the corpus has them),
// rendered as "Document k: NAME" sections; a task may first insert lines of its own (a pass key,
// records). Words are maximal runs of [A-Za-z0-9_], compared exactly: what the tests recount.
#pragma once
#include <longalign/batching.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "corpus.h"

namespace longalign::plugins {

struct Task {
  std::string type;      // the task asked (a fallback when the requested one had nothing to ask)
  std::string question;  // follows the documents
  std::string answer;    // the exact reference
  std::string match;     // how to check a reply: "exact" or "numeric"
  nlohmann::json details = nlohmann::json::object();
};

class TaskContext {
 public:
  // Excerpts totalling about `chars` characters, from at least `min_pieces` documents.
  TaskContext(Corpus& corpus, Rng& rng, size_t chars, size_t min_pieces);
  // One of corpus-tasks' task types; where it has nothing to ask here (no headings, no word
  // that occurs once), extract, else passkey.
  Task make(const std::string& type, size_t answer_chars);
  std::string render() const;
  std::string main_source() const;  // the source of the longest excerpt
  std::vector<std::string> titles() const;

 private:
  struct Piece {
    std::string source, title;
    std::vector<std::string> lines;
  };
  struct Place {
    size_t piece, line;
  };
  struct WordStats {
    size_t count = 0;
    Place first{0, 0};
    bool in_title = false;
  };

  void insert_line(double depth, std::string line);
  std::vector<std::pair<std::string, WordStats>> word_stats() const;  // sorted by word
  std::vector<std::pair<std::string, Place>> unique_words(size_t min_length) const;
  bool extract(Task& t, size_t answer_chars, bool name_document);
  void passkey(Task& t);
  void kv_lookup(Task& t, size_t answer_chars, size_t chars);
  bool count(Task& t);
  bool order(Task& t);
  bool headings(Task& t);

  Rng& rng_;
  size_t chars_;
  std::vector<Piece> pieces_;
};

}  // namespace longalign::plugins
