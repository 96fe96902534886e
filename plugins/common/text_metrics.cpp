#include "text_metrics.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace longalign::plugins {

std::vector<std::string> normalized_words(const std::string& text) {
  std::vector<std::string> words;
  std::string w;
  auto flush = [&] {
    if (!w.empty() && w != "a" && w != "an" && w != "the") words.push_back(w);
    w.clear();
  };
  for (unsigned char c : text) {
    if (std::isspace(c)) flush();
    else if (!std::ispunct(c)) w += static_cast<char>(std::tolower(c));
  }
  flush();
  return words;
}

namespace {

double f1(double common, double predicted, double referenced) {
  if (common == 0) return 0;
  const double p = common / predicted, r = common / referenced;
  return 2 * p * r / (p + r);
}

}  // namespace

double token_f1(const std::string& prediction, const std::string& reference) {
  auto p = normalized_words(prediction), r = normalized_words(reference);
  std::map<std::string, int> counts;
  for (auto& w : r) ++counts[w];
  double common = 0;
  for (auto& w : p)
    if (counts[w]-- > 0) ++common;
  return f1(common, static_cast<double>(p.size()), static_cast<double>(r.size()));
}

double rouge_l(const std::string& prediction, const std::string& reference) {
  auto p = normalized_words(prediction), r = normalized_words(reference);
  if (p.empty() || r.empty()) return 0;
  std::vector<size_t> prev(r.size() + 1, 0), cur(r.size() + 1, 0);  // LCS, one row at a time
  for (size_t i = 1; i <= p.size(); ++i) {
    for (size_t j = 1; j <= r.size(); ++j) cur[j] = p[i - 1] == r[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
    std::swap(prev, cur);
  }
  return f1(static_cast<double>(prev[r.size()]), static_cast<double>(p.size()), static_cast<double>(r.size()));
}

std::string trimmed(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

double char_match(const std::string& reply, const std::string& reference) {
  const std::string a = trimmed(reply), b = trimmed(reference);
  if (b.empty()) return a.empty() ? 1.0 : 0.0;
  size_t same = 0;
  for (size_t i = 0; i < b.size() && i < a.size(); ++i) same += a[i] == b[i];
  return static_cast<double>(same) / static_cast<double>(b.size());
}

}  // namespace longalign::plugins
