#include "text/target_builder.h"

#include <algorithm>

namespace longalign::host {

uint32_t Tokenized::targets() const {
  uint32_t n = 0;
  for (uint8_t t : target) n += t;
  return n;
}

void TargetBuilder::text(std::string_view s, bool target) {
  if (!s.empty() && (runs_.empty() || runs_.back().second != target)) runs_.push_back({pending_.size(), target});
  pending_ += s;
}

void TargetBuilder::special(uint32_t id, bool target) {
  flush();
  out_.ids.push_back(id);
  out_.target.push_back(target ? 1 : 0);
}

Tokenized TargetBuilder::done() {
  flush();
  return std::move(out_);
}

void TargetBuilder::flush() {
  if (pending_.empty()) return;
  std::vector<uint32_t> all;
  tok_.encode(pending_, all);
  std::vector<uint8_t> target(all.size(), 0);
  for (size_t r = 0; r < runs_.size(); ++r) {
    // The tokens of the text before this run that the whole text shares start where it ends.
    std::vector<uint32_t> before;
    if (runs_[r].first > 0) tok_.encode(std::string_view(pending_).substr(0, runs_[r].first), before);
    size_t shared = 0;
    while (shared < before.size() && shared < all.size() && before[shared] == all[shared]) ++shared;
    std::fill(target.begin() + static_cast<std::ptrdiff_t>(shared), target.end(), runs_[r].second ? 1 : 0);
  }
  out_.ids.insert(out_.ids.end(), all.begin(), all.end());
  out_.target.insert(out_.target.end(), target.begin(), target.end());
  pending_.clear();
  runs_.clear();
}

}  // namespace longalign::host
