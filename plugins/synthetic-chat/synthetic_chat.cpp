// synthetic-chat: short, varied instruction/answer pairs made by code, standing in for ShareGPT
// where none is at hand: arithmetic, string edits, table lookups and format conversions. Each
// answer is exact, so task accuracy can be measured. `items` asks several at once (one answer
// per line), which lengthens answers for loss-weighting studies. Deterministic for a seed.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>

namespace {

using longalign::Error;
using longalign::Rng;

struct Item {
  std::string input, answer;
};

std::string word(Rng& rng) {
  std::string w;
  for (size_t i = 0, n = 3 + rng.below(6); i < n; ++i) w += static_cast<char>('a' + rng.below(26));
  return w;
}

std::string words(Rng& rng, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += (i ? " " : "") + word(rng);
  return s;
}

struct Kind {
  std::string task, instruction;  // the instruction for one item; several: "... each line ..."
  std::function<Item(Rng&)> make;
};

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> k = {
      {"add", "Add the two numbers.", [](Rng& r) {
         int64_t a = static_cast<int64_t>(r.below(100000)), b = static_cast<int64_t>(r.below(100000));
         return Item{std::to_string(a) + " + " + std::to_string(b), std::to_string(a + b)};
       }},
      {"multiply", "Multiply the two numbers.", [](Rng& r) {
         int64_t a = static_cast<int64_t>(r.below(1000)), b = static_cast<int64_t>(r.below(1000));
         return Item{std::to_string(a) + " * " + std::to_string(b), std::to_string(a * b)};
       }},
      {"uppercase", "Write the text in upper case.", [](Rng& r) {
         std::string s = words(r, 2 + r.below(5)), u = s;
         for (char& c : u)
           if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
         return Item{s, u};
       }},
      {"reverse-words", "Write the words in reverse order.", [](Rng& r) {
         std::vector<std::string> w;
         for (size_t i = 0, n = 2 + r.below(6); i < n; ++i) w.push_back(word(r));
         std::string in, out;
         for (size_t i = 0; i < w.size(); ++i) in += (i ? " " : "") + w[i], out += (i ? " " : "") + w[w.size() - 1 - i];
         return Item{in, out};
       }},
      {"sort-words", "Sort the words alphabetically.", [](Rng& r) {
         std::vector<std::string> w;
         for (size_t i = 0, n = 2 + r.below(6); i < n; ++i) w.push_back(word(r));
         std::string in, out;
         for (size_t i = 0; i < w.size(); ++i) in += (i ? " " : "") + w[i];
         std::sort(w.begin(), w.end());
         for (size_t i = 0; i < w.size(); ++i) out += (i ? " " : "") + w[i];
         return Item{in, out};
       }},
      {"lookup", "Give the value the table lists for the key after the table.", [](Rng& r) {
         std::string table;
         std::vector<std::pair<std::string, std::string>> rows;
         for (size_t i = 0, n = 3 + r.below(5); i < n; ++i) rows.push_back({word(r) + std::to_string(i), std::to_string(r.below(1000))});
         for (auto& [k, v] : rows) table += k + "=" + v + "; ";
         auto& [key, value] = rows[r.below(rows.size())];
         return Item{table + "key: " + key, value};
       }},
      {"date-format", "Rewrite the date YYYY-MM-DD as DD/MM/YYYY.", [](Rng& r) {
         char in[16], out[16];
         unsigned y = 1900 + static_cast<unsigned>(r.below(200)), m = 1 + static_cast<unsigned>(r.below(12)),
                  d = 1 + static_cast<unsigned>(r.below(28));
         std::snprintf(in, sizeof in, "%04u-%02u-%02u", y, m, d);
         std::snprintf(out, sizeof out, "%02u/%02u/%04u", d, m, y);
         return Item{in, out};
       }},
      {"to-binary", "Write the number in binary.", [](Rng& r) {
         uint64_t n = 1 + r.below(4096);
         std::string b;
         for (uint64_t x = n; x; x >>= 1) b.insert(b.begin(), static_cast<char>('0' + (x & 1)));
         return Item{std::to_string(n), b};
       }},
      {"csv-to-json", "Convert the CSV header and row (after |) to a JSON object with string values.", [](Rng& r) {
         nlohmann::ordered_json j;
         std::string header, row;
         for (size_t i = 0, n = 2 + r.below(3); i < n; ++i) {
           std::string k = word(r) + std::to_string(i), v = word(r);
           header += (i ? "," : "") + k;
           row += (i ? "," : "") + v;
           j[k] = v;
         }
         return Item{header + " | " + row, j.dump()};
       }},
  };
  return k;
}

class SyntheticChat : public longalign::DataSource {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("synthetic-chat", "1.0.0",
                             "Short instruction/answer chats made by code (arithmetic, string edits, lookups, format "
                             "conversions), each answer exact")
        .param(longalign::Param::integer("count", 5000, "Examples in the stream").min(0))
        .param(longalign::Param::integer("items", 1, "Questions per example, answered one per line (longer answers)").range(1, 64))
        .param(longalign::Param::list("tasks", "[]", "Task types to draw from (empty: all)"));
  }

  SyntheticChat(const longalign::Params& p, const longalign::Host&)
      : count_(p.get_int("count")), items_(static_cast<size_t>(p.get_int("items"))) {
    longalign::Value tasks = p.at("tasks");
    std::string known;
    for (auto& k : kinds()) known += (known.empty() ? "" : ", ") + k.task;
    for (size_t i = 0; i < tasks.size(); ++i) {
      std::string t = tasks[i].as_string();
      auto it = std::find_if(kinds().begin(), kinds().end(), [&](const Kind& k) { return k.task == t; });
      if (it == kinds().end()) throw Error(LA_ERR_INVALID_ARGUMENT, "tasks[" + std::to_string(i) + "]: unknown task '" + t + "' (" + known + ")");
      use_.push_back(static_cast<size_t>(it - kinds().begin()));
    }
    if (use_.empty())
      for (size_t i = 0; i < kinds().size(); ++i) use_.push_back(i);
  }

  void open(uint64_t seed) override {
    rng_ = Rng(seed);
    made_ = 0;
  }

  int64_t count() override { return count_; }

  bool next(longalign::Example& out) override {
    if (made_ >= count_) return false;
    ++made_;
    const Kind& k = kinds()[use_[rng_.below(use_.size())]];
    std::string question = k.instruction, answer;
    if (items_ > 1) question += " Do it for each input below, one answer per line.";
    for (size_t i = 0; i < items_; ++i) {
      Item it = k.make(rng_);
      question += "\n" + it.input;
      answer += (i ? "\n" : "") + it.answer;
    }
    out.messages = {{"user", question}, {"assistant", answer}};
    out.source = "synthetic-chat";
    out.task = k.task;
    out.metadata_json = nlohmann::json{{"answer", answer}, {"match", "exact"}, {"items", items_}}.dump();
    return true;
  }

 private:
  int64_t count_;
  size_t items_;
  std::vector<size_t> use_;
  Rng rng_{0};
  int64_t made_ = 0;
};

}  // namespace

LONGALIGN_PLUGIN(SyntheticChat)
