// What a cell trains on, shown to its user: a rendered example as runs of tokens that are
// targets (what the model learns to produce) or context, each decoded with its special tokens
// written out (`longalign plan --show-example N`, `longalign data export --show-example N`).
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "text/chat_template.h"

namespace longalign::host {

struct ShownSpan {
  std::string text;
  bool target = false;
  size_t tokens = 0;
};

std::vector<ShownSpan> show_example(const Tokenized& t, const Tokenizer& tok);

// For a terminal: context as it is, each target span inside ⟦ ⟧, and a summary line first.
std::string shown_text(const std::vector<ShownSpan>& spans);
nlohmann::json shown_json(const std::vector<ShownSpan>& spans);  // [{"text", "target", "tokens"}]

}  // namespace longalign::host
