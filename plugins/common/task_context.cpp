#include "task_context.h"

#include <algorithm>
#include <map>
#include <set>

namespace longalign::plugins {
namespace {

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

template <typename F>
void for_each_word(const std::string& line, F&& f) {
  for (size_t i = 0; i < line.size();) {
    if (!word_char(line[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < line.size() && word_char(line[j])) ++j;
    f(std::string_view(line).substr(i, j - i));
    i = j;
  }
}

// The lines of text[from, from + max) cut at a line end where one is near, never inside a
// UTF-8 sequence.
std::vector<std::string> excerpt(const std::string& text, size_t from, size_t max) {
  size_t end = std::min(text.size(), from + max);
  while (end < text.size() && end > from && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  std::vector<std::string> lines;
  size_t at = from;
  while (at < end) {
    size_t nl = text.find('\n', at);
    size_t stop = nl == std::string::npos || nl > end ? end : nl;
    std::string line = text.substr(at, stop - at);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    at = stop + 1;
  }
  return lines;
}

std::string hex8(Rng& rng) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 8; ++i) s += digits[rng.below(16)];
  return s;
}

}  // namespace

TaskContext::TaskContext(Corpus& corpus, Rng& rng, size_t chars, size_t min_pieces) : rng_(rng), chars_(chars) {
  const auto& docs = corpus.documents();
  const auto& by_source = corpus.by_source();
  const size_t cap = min_pieces > 1 ? chars / min_pieces : chars;
  std::set<size_t> used;
  size_t have = 0;
  while (have < chars && pieces_.size() < 64) {
    const auto& pool = by_source[rng_.below(by_source.size())];
    size_t doc = pool[rng_.below(pool.size())];
    for (int tries = 0; tries < 8 && used.count(doc) && used.size() < docs.size(); ++tries) {
      const auto& p = by_source[rng_.below(by_source.size())];
      doc = p[rng_.below(p.size())];
    }
    used.insert(doc);
    const std::string& text = docs[doc].text;
    const size_t want = std::min(cap, chars - have);
    size_t from = 0;
    if (text.size() > want) {  // a random start, moved to the next line's beginning
      from = rng_.below(text.size() - want + 1);
      size_t nl = from == 0 ? 0 : text.find('\n', from - 1);
      from = nl == std::string::npos || nl + 1 >= text.size() ? 0 : (from == 0 ? 0 : nl + 1);
    }
    Piece p{docs[doc].source, std::filesystem::path(docs[doc].name).filename().string(), excerpt(text, from, want)};
    if (p.lines.empty()) continue;
    for (auto& l : p.lines) have += l.size() + 1;
    pieces_.push_back(std::move(p));
  }
}

std::string TaskContext::render() const {
  std::string out;
  for (size_t k = 0; k < pieces_.size(); ++k) {
    if (k) out += "\n\n";
    out += "Document " + std::to_string(k + 1) + ": " + pieces_[k].title + "\n";
    for (size_t i = 0; i < pieces_[k].lines.size(); ++i) {
      if (i) out += '\n';
      out += pieces_[k].lines[i];
    }
  }
  return out;
}

std::string TaskContext::main_source() const {
  size_t best = 0, best_size = 0;
  for (size_t k = 0; k < pieces_.size(); ++k) {
    size_t n = 0;
    for (auto& l : pieces_[k].lines) n += l.size();
    if (n > best_size) best = k, best_size = n;
  }
  return pieces_.empty() ? "" : pieces_[best].source;
}

std::vector<std::string> TaskContext::titles() const {
  std::vector<std::string> out;
  for (auto& p : pieces_) out.push_back(p.title);
  return out;
}

void TaskContext::insert_line(double depth, std::string line) {
  size_t total = 0;
  for (auto& p : pieces_) total += p.lines.size();
  size_t at = std::min(total, static_cast<size_t>(depth * static_cast<double>(total)));
  for (auto& p : pieces_) {
    if (at <= p.lines.size()) {
      p.lines.insert(p.lines.begin() + static_cast<std::ptrdiff_t>(at), std::move(line));
      return;
    }
    at -= p.lines.size();
  }
}

std::vector<std::pair<std::string, TaskContext::WordStats>> TaskContext::word_stats() const {
  std::map<std::string, WordStats, std::less<>> stats;
  for (size_t k = 0; k < pieces_.size(); ++k) {
    for_each_word("Document " + std::to_string(k + 1) + ": " + pieces_[k].title, [&](std::string_view w) {
      auto& s = stats[std::string(w)];
      s.in_title = true;
      ++s.count;
    });
    for (size_t i = 0; i < pieces_[k].lines.size(); ++i)
      for_each_word(pieces_[k].lines[i], [&](std::string_view w) {
        auto it = stats.find(w);
        if (it == stats.end()) it = stats.emplace(std::string(w), WordStats{0, {k, i}, false}).first;
        ++it->second.count;
      });
  }
  return {stats.begin(), stats.end()};
}

std::vector<std::pair<std::string, TaskContext::Place>> TaskContext::unique_words(size_t min_length) const {
  std::vector<std::pair<std::string, Place>> out;
  for (auto& [w, s] : word_stats())
    if (s.count == 1 && !s.in_title && w.size() >= min_length && !(w[0] >= '0' && w[0] <= '9')) out.push_back({w, s.first});
  return out;
}

Task TaskContext::make(const std::string& type, size_t answer_chars) {
  Task t;
  t.match = "exact";
  bool made = false;
  if (type == "passkey") passkey(t), made = true;
  else if (type == "kv-lookup") kv_lookup(t, answer_chars, chars_), made = true;
  else if (type == "count") made = count(t);
  else if (type == "order") made = order(t);
  else if (type == "headings") made = headings(t);
  else made = extract(t, answer_chars, type == "which-document");
  if (!made && !extract(t, answer_chars, false)) passkey(t);
  if (t.type != type) t.details["requested"] = type;
  return t;
}

bool TaskContext::extract(Task& t, size_t answer_chars, bool name_document) {
  auto words = unique_words(6);
  if (words.empty()) return false;
  auto [word, at] = words[rng_.below(words.size())];
  t.details = {{"word", word}, {"document", at.piece + 1}};
  if (name_document) {
    t.type = "which-document";
    t.question = "Which document mentions the word \"" + word + "\"? Answer with its number and name, as \"Document N: NAME\".";
    t.answer = "Document " + std::to_string(at.piece + 1) + ": " + pieces_[at.piece].title;
    return true;
  }
  const auto& lines = pieces_[at.piece].lines;
  size_t n = 0;
  t.answer = lines[at.line];
  while (t.answer.size() < answer_chars && at.line + n + 1 < lines.size()) t.answer += "\n" + lines[at.line + ++n];
  t.type = "extract";
  t.question = "Quote exactly the line of the documents that contains the word \"" + word + "\"" +
               (n ? " and the " + std::to_string(n) + " line" + (n > 1 ? "s" : "") + " after it." : ".");
  t.details["lines"] = n + 1;
  return true;
}

void TaskContext::passkey(Task& t) {
  const std::string text = render();
  std::string key;
  do key = std::to_string(10000 + rng_.below(90000));
  while (text.find(key) != std::string::npos);
  const double depth = rng_.uniform();
  insert_line(depth, "The pass key is " + key + ". Remember it. " + key + " is the pass key.");
  t.type = "passkey";
  t.question = "What is the pass key? Answer with the number only.";
  t.answer = key;
  t.details = {{"depth", depth}};
}

void TaskContext::kv_lookup(Task& t, size_t answer_chars, size_t chars) {
  const size_t records = std::clamp<size_t>(chars / 1500, 3, 64);
  const size_t asked = std::min(records, 1 + answer_chars / 20);
  std::vector<std::pair<std::string, std::string>> kv;
  std::set<std::string> keys;
  const std::string text = render();
  while (kv.size() < records) {
    std::string k = hex8(rng_);
    if (keys.insert(k).second && text.find(k) == std::string::npos) kv.push_back({k, hex8(rng_)});
  }
  for (auto& [k, v] : kv) insert_line(rng_.uniform(), "Record " + k + ": " + v);
  std::vector<size_t> pick(records);
  for (size_t i = 0; i < records; ++i) pick[i] = i;
  shuffle(pick, rng_);
  pick.resize(asked);
  t.type = "kv-lookup";
  t.question = asked == 1 ? "What is the value of record " + kv[pick[0]].first + "? Answer with the value only."
                          : "What are the values of these records:";
  for (size_t i = 0; i < asked; ++i) {
    if (asked > 1) t.question += (i ? ", " : " ") + kv[pick[i]].first;
    t.answer += (i ? "\n" : "") + (asked > 1 ? kv[pick[i]].first + ": " : "") + kv[pick[i]].second;
  }
  if (asked > 1) t.question += "? Answer one per line, as KEY: VALUE, in the order asked.";
  t.details = {{"records", records}, {"asked", asked}};
}

bool TaskContext::count(Task& t) {
  std::vector<std::pair<std::string, size_t>> candidates;
  for (auto& [w, s] : word_stats())
    if (s.count >= 2 && s.count <= 50 && w.size() >= 4 && !(w[0] >= '0' && w[0] <= '9')) candidates.push_back({w, s.count});
  if (candidates.empty()) return false;
  auto [word, n] = candidates[rng_.below(candidates.size())];
  t.type = "count";
  t.question = "How many times does the word \"" + word +
               "\" occur in the documents, titles included (as a whole word, case-sensitive)? Answer with a number.";
  t.answer = std::to_string(n);
  t.match = "numeric";
  t.details = {{"word", word}};
  return true;
}

bool TaskContext::order(Task& t) {
  std::vector<Place> lines;
  std::set<std::pair<size_t, size_t>> seen;
  for (auto& [w, at] : unique_words(6))
    if (pieces_[at.piece].lines[at.line].size() <= 200 && seen.insert({at.piece, at.line}).second) lines.push_back(at);
  if (lines.size() < 3) return false;
  shuffle(lines, rng_);
  lines.resize(std::min<size_t>(lines.size(), 3 + rng_.below(3)));
  std::vector<size_t> shown(lines.size());  // shown[j]: which line is labelled j
  for (size_t i = 0; i < shown.size(); ++i) shown[i] = i;
  t.type = "order";
  t.question = "In what order do these lines appear in the documents? Answer with their letters, first to last, "
               "separated by commas.";
  for (size_t j = 0; j < lines.size(); ++j)
    t.question += std::string("\n(") + static_cast<char>('A' + j) + ") " + pieces_[lines[j].piece].lines[lines[j].line];
  std::sort(shown.begin(), shown.end(), [&](size_t a, size_t b) {
    return std::pair(lines[a].piece, lines[a].line) < std::pair(lines[b].piece, lines[b].line);
  });
  for (size_t i = 0; i < shown.size(); ++i) t.answer += (i ? ", " : "") + std::string(1, static_cast<char>('A' + shown[i]));
  return true;
}

bool TaskContext::headings(Task& t) {
  for (auto& p : pieces_)
    for (auto& l : p.lines) {
      size_t hashes = l.find_first_not_of('#');
      if (hashes >= 1 && hashes <= 6 && hashes < l.size() && l[hashes] == ' ')
        t.answer += (t.answer.empty() ? "" : "\n") + l;
    }
  if (t.answer.empty()) return false;
  t.type = "headings";
  t.question = "List every Markdown heading line of the documents (a line starting with 1 to 6 '#' and a space), "
               "exactly and in order, one per line.";
  return true;
}

}  // namespace longalign::plugins
