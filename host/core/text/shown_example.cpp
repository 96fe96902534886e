#include "text/shown_example.h"

#include <longalign/utf8.hpp>

namespace longalign::host {

std::vector<ShownSpan> show_example(const Tokenized& t, const Tokenizer& tok) {
  std::vector<ShownSpan> spans;
  for (size_t i = 0; i < t.ids.size();) {
    const bool target = t.target[i] != 0;
    size_t end = i;
    while (end < t.ids.size() && (t.target[end] != 0) == target) ++end;
    // A span may begin or end inside a character a byte-level token split: shown as U+FFFD.
    spans.push_back({repaired_utf8(tok.show(std::vector<uint32_t>(t.ids.begin() + i, t.ids.begin() + end))), target, end - i});
    i = end;
  }
  return spans;
}

std::string shown_text(const std::vector<ShownSpan>& spans) {
  size_t tokens = 0, targets = 0;
  std::string body;
  for (const ShownSpan& s : spans) {
    tokens += s.tokens;
    if (s.target) targets += s.tokens;
    body += s.target ? "⟦" + s.text + "⟧" : s.text;
  }
  return std::to_string(tokens) + " tokens, " + std::to_string(targets) + " of them targets (inside ⟦ ⟧):\n" + body + "\n";
}

nlohmann::json shown_json(const std::vector<ShownSpan>& spans) {
  nlohmann::json out = nlohmann::json::array();
  for (const ShownSpan& s : spans) out.push_back({{"text", s.text}, {"target", s.target}, {"tokens", s.tokens}});
  return out;
}

}  // namespace longalign::host
