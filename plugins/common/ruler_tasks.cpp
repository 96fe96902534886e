#include "ruler_tasks.h"

#include <longalign/plugin.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "corpus.h"
#include "ruler_words.h"
#include "task_context.h"

namespace longalign::plugins {
namespace {

using longalign::Error;

// RULER's "noise" haystack, one sentence a unit.
const std::vector<std::string> kNoise = {"The grass is green.", "The sky is blue.", "The sun is yellow.", "Here we go.",
                                         "There and back again."};

// The needle families: what the haystack is made of, the types of keys and values, and how many
// keys, values per key and queried keys (RULER's niah_* configurations).
struct NiahSpec {
  const char* haystack;  // noise, essay or needle (other keys' needles)
  const char* keys;      // words or uuids
  const char* values;    // numbers or uuids
  size_t n_keys, n_values, n_queries;
};
const std::map<std::string, NiahSpec> kNiah = {
    {"niah_single_1", {"noise", "words", "numbers", 1, 1, 1}},   {"niah_single_2", {"essay", "words", "numbers", 1, 1, 1}},
    {"niah_single_3", {"essay", "words", "uuids", 1, 1, 1}},     {"niah_multikey_1", {"essay", "words", "numbers", 4, 1, 1}},
    {"niah_multikey_2", {"needle", "words", "numbers", 1, 1, 1}}, {"niah_multikey_3", {"needle", "uuids", "uuids", 1, 1, 1}},
    {"niah_multivalue", {"essay", "words", "numbers", 1, 4, 1}}, {"niah_multiquery", {"essay", "words", "numbers", 4, 1, 4}},
};

std::string uuid(Rng& rng) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
    s += i == 12 ? '4' : i == 16 ? hex[8 + rng.below(4)] : hex[rng.below(16)];  // a version-4 uuid
  }
  return s;
}

std::string draw(const std::string& type, Rng& rng) {
  if (type == "words") return ruler_key(rng);
  if (type == "uuids") return uuid(rng);
  return std::to_string(1000000 + rng.below(9000000));  // RULER's 7-digit numbers
}

// "a", "a and b", "a, b and c".
std::string listed(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) s += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  return s;
}

std::string joined(const std::vector<std::string>& units, const char* separator) {
  std::string s;
  for (size_t i = 0; i < units.size(); ++i) s += (i ? separator : "") + units[i];
  return s;
}

// The index among n units where a line at `depth` goes.
size_t index_at(double depth, size_t n) { return std::min(n, static_cast<size_t>(std::lround(depth * static_cast<double>(n)))); }

// Inserts each line at its depth, in order (lines at one index keep their order).
std::vector<std::string> with_lines(std::vector<std::string> units, const std::vector<std::pair<double, std::string>>& lines,
                                    const std::function<size_t(size_t)>& adjust = nullptr) {
  std::vector<std::pair<size_t, std::string>> at;
  for (auto& [depth, line] : lines) {
    size_t i = index_at(depth, units.size());
    at.push_back({adjust ? adjust(i) : i, line});
  }
  std::stable_sort(at.begin(), at.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (size_t k = at.size(); k-- > 0;) units.insert(units.begin() + static_cast<std::ptrdiff_t>(at[k].first), at[k].second);
  return units;
}

std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  for (size_t i = 0; i < text.size();) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// A family's case for a haystack of `units` units.
using Render = std::function<RulerCase(size_t units)>;

void niah(const std::string& task, const NiahSpec& spec, const std::vector<std::string>& essay_words, Rng& rng, Render& render) {
  const std::string value_type = spec.values;
  std::vector<std::string> keys;
  while (keys.size() < spec.n_keys) {
    std::string k = draw(spec.keys, rng);
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  struct Needle {
    double depth;
    size_t key;
    std::string value;
  };
  std::vector<Needle> drawn;
  std::set<std::string> used_values;
  for (size_t k = 0; k < keys.size(); ++k)
    for (size_t v = 0; v < spec.n_values; ++v) {
      std::string value;
      do value = draw(value_type, rng);
      while (!used_values.insert(value).second);
      drawn.push_back({rng.uniform(), k, value});
    }
  // In the order they stand in the text, which is the order of the answers.
  std::stable_sort(drawn.begin(), drawn.end(), [](const Needle& a, const Needle& b) { return a.depth < b.depth; });
  std::vector<std::pair<double, std::string>> needles;
  std::vector<std::string> answers;
  nlohmann::json placed = nlohmann::json::array();
  for (auto& n : drawn) {
    needles.push_back({n.depth, "One of the special magic " + value_type + " for " + keys[n.key] + " is: " + n.value + "."});
    placed.push_back({{"key", keys[n.key]}, {"value", n.value}, {"depth", n.depth}});
    if (n.key < spec.n_queries) answers.push_back(n.value);
  }
  const std::vector<std::string> queried(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(spec.n_queries));
  const std::string haystack = spec.haystack;
  const uint64_t distractor_seed = rng.next();
  RulerCase c{task, "", answers, true, {{"needles", placed}, {"query", queried}, {"haystack", haystack}}};
  render = [=, &essay_words](size_t n) {
    std::vector<std::string> units;
    std::function<size_t(size_t)> adjust;
    if (haystack == "noise") {
      for (size_t i = 0; i < n; ++i) units.push_back(kNoise[i % kNoise.size()]);
    } else if (haystack == "essay") {
      for (size_t i = 0; i < n; ++i) units.push_back(essay_words[i % essay_words.size()]);
      adjust = [&units](size_t i) {  // to just after a sentence's end where one is near
        for (size_t back = 0; back < 40 && back < i; ++back) {
          const std::string& w = units[i - back - 1];
          if (w.back() == '.' || w.back() == '!' || w.back() == '?') return i - back;
        }
        return i;
      };
    } else {  // other keys' needles, none of them a key asked about
      Rng d(distractor_seed);
      while (units.size() < n) {
        std::string key = draw(spec.keys, d);
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
        units.push_back("One of the special magic " + value_type + " for " + key + " is: " + draw(value_type, d) + ".");
      }
    }
    const std::string context = joined(with_lines(units, needles, adjust), haystack == "needle" ? "\n" : " ");
    RulerCase out = c;
    out.prompt = "Some special magic " + value_type + " are hidden within the following text. Make sure to memorize it. "
                 "I will quiz you about the " + value_type + " afterwards.\n" + context + "\nWhat are all the special magic " +
                 value_type + " for " + listed(queried) + " mentioned in the provided text?";
    out.details["haystack_units"] = n;
    return out;
  };
}

// Variable tracking: a chain of 4 hops (VAR B = VAR A, ...) from a 5-digit value, in noise.
void variable_tracking(Rng& rng, Render& render) {
  std::vector<std::string> vars;
  while (vars.size() < 5) {
    std::string v;
    for (int i = 0; i < 5; ++i) v += static_cast<char>('A' + rng.below(26));
    if (std::find(vars.begin(), vars.end(), v) == vars.end()) vars.push_back(v);
  }
  const std::string value = std::to_string(10000 + rng.below(90000));
  std::vector<double> depths;
  for (size_t i = 0; i < vars.size(); ++i) depths.push_back(rng.uniform());
  std::sort(depths.begin(), depths.end());  // the chain reads in order
  std::vector<std::pair<double, std::string>> lines;
  for (size_t i = 0; i < vars.size(); ++i)
    lines.push_back({depths[i], "VAR " + vars[i] + " = " + (i == 0 ? value : "VAR " + vars[i - 1]) + "."});
  RulerCase c{"vt", "", vars, true, {{"value", value}, {"chain", vars}, {"depths", depths}}};
  render = [=](size_t n) {
    std::vector<std::string> units;
    for (size_t i = 0; i < n; ++i) units.push_back(kNoise[i % kNoise.size()]);
    RulerCase out = c;
    out.prompt = "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n" +
                 joined(with_lines(units, lines), " ") + "\nQuestion: Find all variables that are assigned the value " + value +
                 " in the text above.";
    out.details["haystack_units"] = n;
    return out;
  };
}

// Common words: 10 words `common` times each among n words `uncommon` times each, shuffled; the
// answers in the order they first appear.
void common_words(Rng& rng, size_t common, size_t uncommon, Render& render) {
  const uint64_t seed = rng.next();
  RulerCase c{"cwe", "", {}, true, {{"common_frequency", common}, {"uncommon_frequency", uncommon}}};
  render = [=](size_t n) {
    Rng r(seed);
    const std::vector<std::string> words = list_words(r, 10 + n);
    std::vector<std::string> list;
    for (size_t i = 0; i < words.size(); ++i)
      for (size_t k = 0; k < (i < 10 ? common : uncommon); ++k) list.push_back(words[i]);
    shuffle(list, r);
    std::string context;
    RulerCase out = c;
    const std::set<std::string> top(words.begin(), words.begin() + 10);
    for (size_t i = 0; i < list.size(); ++i) {
      context += (i ? " " : "") + std::to_string(i + 1) + ". " + list[i];
      if (top.count(list[i]) && std::find(out.answers.begin(), out.answers.end(), list[i]) == out.answers.end()) out.answers.push_back(list[i]);
    }
    out.prompt = "Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones "
                 "that appear most often.\n" + context + "\nQuestion: What are the 10 most common words in the above list?";
    out.details["uncommon_words"] = n;
    return out;
  };
}

// Frequent words: n coded words whose ranks follow Zipf's law (alpha 2, RULER's), the top three
// strictly ahead of the fourth.
void frequent_words(Rng& rng, Render& render) {
  const uint64_t seed = rng.next();
  Rng first(seed);
  const std::vector<std::string> top = coded_words(first, 3, 6);
  RulerCase c{"fwe", "", top, true, {}};
  render = [=](size_t n) {
    const double zeta2 = 1.6449340668482264;  // the sum of 1 / rank^2: pi^2 / 6
    std::vector<size_t> counts;  // by rank; every rank from the 4th on at most the 4th's
    for (size_t rank = 1;; ++rank) {
      const size_t k = static_cast<size_t>(static_cast<double>(n) / (zeta2 * static_cast<double>(rank * rank)));
      if (k < 2 && counts.size() >= 4) break;
      counts.push_back(std::max<size_t>(k, 1));
    }
    for (size_t r = 3; r-- > 0;) counts[r] = std::max(counts[r], counts[r + 1] + 1);  // 1st > 2nd > 3rd > the rest
    size_t total = 0;
    for (size_t k : counts) total += k;
    while (total < n) counts.push_back(1), ++total;  // the tail: words seen once
    Rng r(seed);
    const std::vector<std::string> vocab = coded_words(r, counts.size(), 6);
    std::vector<std::string> list;
    for (size_t i = 0; i < counts.size(); ++i)
      for (size_t k = 0; k < counts[i]; ++k) list.push_back(vocab[i]);
    shuffle(list, r);
    RulerCase out = c;
    out.prompt = "Read the following coded text and track the frequency of each coded word. Find the three most frequently "
                 "appeared coded words.\n" + joined(list, " ") +
                 "\nQuestion: What are the three most frequently appeared words in the above coded text?";
    out.details["words"] = list.size();
    out.details["top_counts"] = std::vector<size_t>(counts.begin(), counts.begin() + 4);
    return out;
  };
}

// Whole-word occurrences of `word` in `text`, case-insensitive, as a reader (and the scorer)
// would take them.
size_t occurrences(const std::string& text, const std::string& word) {
  const std::string t = lower(text), w = lower(word);
  auto word_char = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
  size_t n = 0;
  for (size_t at = t.find(w); at != std::string::npos; at = t.find(w, at + 1))
    n += (at == 0 || !word_char(t[at - 1])) && (at + w.size() == t.size() || !word_char(t[at + w.size()]));
  return n;
}

// QA over a document set: which of several documents (corpus-tasks' excerpts) holds a word that
// occurs once in them all, in any case; another draw of the excerpts where there is none.
void document_qa(Corpus& documents, Rng& rng, Render& render) {
  const uint64_t seed = rng.next();
  RulerCase c{"qa", "", {}, false, {}};
  render = [=, &documents](size_t chars) {
    for (uint64_t attempt = 0; attempt < 16; ++attempt) {
      Rng r(seed + attempt * 0x9E3779B97F4A7C15ull);
      TaskContext ctx(documents, r, chars, 4);
      Task t = ctx.make("which-document", 0);
      const std::string text = ctx.render();
      if (t.type != "which-document" || occurrences(text, t.details["word"].get<std::string>()) != 1) continue;
      const std::string instruction =
          "Answer the question based on the given documents. Only give me the answer and do not output any other words.";
      RulerCase out = c;
      out.prompt = instruction + "\n\nThe following are given documents.\n\n" + text + "\n\n" + instruction + "\n\nQuestion: " + t.question;
      out.answers = {t.answer};
      out.details = t.details;
      out.details["documents"] = ctx.titles();
      out.details["chars"] = chars;
      return out;
    }
    throw RulerLengthTooShort(LA_ERR_INVALID_ARGUMENT, "no word of " + std::to_string(chars) +
                                                           " characters of the documents names one of them alone");
  };
}

}  // namespace

double ruler_score(const std::string& reply, const std::vector<std::string>& answers, bool all) {
  if (answers.empty()) return 0;
  const std::string r = lower(reply);
  size_t found = 0;
  for (auto& a : answers) found += r.find(lower(a)) != std::string::npos;
  if (all) return static_cast<double>(found) / static_cast<double>(answers.size());
  return found > 0 ? 1.0 : 0.0;
}

const std::vector<std::string>& RulerTasks::families() {
  static const std::vector<std::string> names = {"niah_single_1", "niah_single_2", "niah_single_3", "niah_multikey_1",
                                                 "niah_multikey_2", "niah_multikey_3", "niah_multivalue", "niah_multiquery",
                                                 "vt", "cwe", "fwe", "qa"};
  return names;
}

std::vector<std::string> RulerTasks::essay_words(const std::string& essay) {
  std::string kept;  // without lines that read as a task's needles or assignments
  for (size_t at = 0; at < essay.size();) {
    size_t nl = essay.find('\n', at);
    if (nl == std::string::npos) nl = essay.size();
    const std::string line = essay.substr(at, nl - at);
    if (lower(line).find("special magic") == std::string::npos && line.find("VAR ") == std::string::npos) kept += line + "\n";
    at = nl + 1;
  }
  return words_of(kept);
}

bool RulerTasks::is_family(const std::string& task) { return std::find(families().begin(), families().end(), task) != families().end(); }

std::string RulerTasks::missing_input(const std::string& task) const {
  if (!is_family(task)) return "no such task";
  if (auto it = kNiah.find(task); it != kNiah.end() && std::string(it->second.haystack) == "essay" && essay_words_.size() < 16)
    return "its haystack is text: name files in haystack";
  if (task == "qa" && !documents_) return "it asks about documents: name them in sources";
  return "";
}

uint32_t RulerTasks::tokens_to_generate(const std::string& task) {
  if (task == "vt") return 30;
  if (task == "cwe") return 120;
  if (task == "fwe") return 50;
  if (task == "qa") return 32;
  return 128;
}

RulerTasks::RulerTasks(const RulerInputs& inputs) : documents_(inputs.documents), essay_words_(essay_words(inputs.essay)) {}

RulerCase RulerTasks::make(const std::string& task, size_t length, Rng& rng, const std::function<size_t(const std::string&)>& measure) const {
  if (std::string why = missing_input(task); !why.empty()) throw Error(LA_ERR_INVALID_ARGUMENT, "task '" + task + "': " + why);
  Render render;
  size_t lowest = 0;
  if (auto it = kNiah.find(task); it != kNiah.end()) niah(task, it->second, essay_words_, rng, render);
  else if (task == "vt") variable_tracking(rng, render);
  else if (task == "fwe") frequent_words(rng, render), lowest = 16;
  else if (task == "qa") document_qa(*documents_, rng, render), lowest = 64;
  else {  // cwe: RULER's frequencies where 10 of their words fit, else 2 and 1
    Rng probe = rng;
    common_words(probe, 30, 3, render);
    const bool roomy = measure(render(10).prompt) <= length;
    common_words(rng, roomy ? 30 : 2, roomy ? 3 : 1, render);
  }
  // A case for n units where it can be made and fits.
  std::optional<RulerCase> best;
  std::string why;
  auto fits = [&](size_t n) {
    try {
      RulerCase c = render(n);
      if (const size_t m = measure(c.prompt); m > length) {
        why = "its shortest prompt measures " + std::to_string(m) + ", above " + std::to_string(length);
        return false;
      }
      best = std::move(c);
      return true;
    } catch (const RulerLengthTooShort& e) {  // qa: nothing to ask in so little text
      why = e.what();
      return false;
    }
  };
  // The shortest haystack that can be made (qa may need more than its least), then the longest
  // that fits: doubling, then bisection.
  size_t lo = lowest;
  while (!fits(lo)) {
    if (!why.empty() && why.rfind("its shortest", 0) == 0) throw RulerLengthTooShort(LA_ERR_INVALID_ARGUMENT, "task '" + task + "': " + why);
    lo = std::max<size_t>(2 * lo, 16);
    if (lo > length * 64) throw RulerLengthTooShort(LA_ERR_INVALID_ARGUMENT, "task '" + task + "': " + why);
  }
  size_t hi = std::max<size_t>(2 * lo, 16);
  while (hi < (size_t{1} << 26) && fits(hi)) lo = hi, hi *= 2;
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return *best;
}

}  // namespace longalign::plugins
