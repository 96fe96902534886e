// Token ids and their target mask from runs of text that are, or are not, what the model learns
// to produce. Text between special tokens is tokenized whole, as a model's tokenizer reads a
// rendered chat (pieces tokenized apart would start each answer with tokens the model never
// saw: "Ġ" "Sure" where it knows "ĠSure"). A token is a target when it is not among the tokens
// of the text before its run began: the one that joins the space before an answer to its first
// word is the answer's. Bytes never join, so the byte tokenizer's targets are the runs' bytes.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/tokenizer.h"

namespace longalign::host {

struct Tokenized {
  std::vector<uint32_t> ids;
  std::vector<uint8_t> target;  // 1 where ids[t] is a target token
  uint32_t targets() const;
};

class TargetBuilder {
 public:
  explicit TargetBuilder(const Tokenizer& tok) : tok_(tok) {}
  void text(std::string_view s, bool target);
  void special(uint32_t id, bool target);
  Tokenized done();

 private:
  void flush();

  const Tokenizer& tok_;
  Tokenized out_;
  std::string pending_;                        // the text since the last special token
  std::vector<std::pair<size_t, bool>> runs_;  // where in it each run of (non-)targets begins
};

}  // namespace longalign::host
