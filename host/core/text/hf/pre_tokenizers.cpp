#include "text/hf/components.h"
#include "text/hf/regex.h"

namespace longalign::host::hf {
namespace {

using Ranges = std::vector<std::pair<size_t, size_t>>;

// The pieces of `text` between and at `matches`, each flagged as a match or not.
std::vector<std::pair<std::pair<size_t, size_t>, bool>> with_gaps(const std::string& text, const Ranges& matches) {
  std::vector<std::pair<std::pair<size_t, size_t>, bool>> out;
  size_t last = 0;
  for (auto m : matches) {
    if (m.first > last) out.push_back({{last, m.first}, false});
    out.push_back({m, true});
    last = m.second;
  }
  if (last < text.size()) out.push_back({{last, text.size()}, false});
  return out;
}

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// Split: the pattern's matches become pieces, or are removed, or join a neighbour
// (tokenizers' SplitDelimiterBehavior).
class Split : public PreTokenizer {
 public:
  Split(Regex pattern, Behavior behavior) : pattern_(std::move(pattern)), behavior_(behavior) {}
  void split(std::vector<std::string>& pieces) const override {
    std::vector<std::string> out;
    for (const std::string& p : pieces)
      for (auto [b, e] : ranges(p)) out.push_back(p.substr(b, e - b));
    pieces = std::move(out);
  }

 private:
  Ranges ranges(const std::string& text) const {
    auto parts = with_gaps(text, pattern_.find_all(text));
    Ranges out;
    bool previous_match = false;
    switch (behavior_) {
      case Behavior::Isolated:
        for (auto& [r, m] : parts) out.push_back(r);
        return out;
      case Behavior::Removed:
        for (auto& [r, m] : parts)
          if (!m) out.push_back(r);
        return out;
      case Behavior::MergedWithPrevious:
        for (auto& [r, m] : parts) {
          if (m && !previous_match && !out.empty()) out.back().second = r.second;
          else out.push_back(r);
          previous_match = m;
        }
        return out;
      case Behavior::MergedWithNext:
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
          if (it->second && !previous_match && !out.empty()) out.back().first = it->first.first;
          else out.push_back(it->first);
          previous_match = it->second;
        }
        return Ranges(out.rbegin(), out.rend());
      case Behavior::Contiguous:
        for (auto& [r, m] : parts) {
          if (m && previous_match) out.back().second = r.second;
          else out.push_back(r);
          previous_match = m;
        }
        return out;
    }
    return out;
  }

  Regex pattern_;
  Behavior behavior_;
};

// ByteLevel: optionally GPT-2's split, then every byte as its printable character.
class ByteLevel : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space) {
    if (use_regex)
      gpt2_ = std::make_unique<Regex>(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)");
  }
  void split(std::vector<std::string>& pieces) const override {
    std::vector<std::string> out;
    for (std::string& p : pieces) {
      if (add_prefix_space_ && p.rfind(' ', 0) != 0) p.insert(0, " ");
      if (!gpt2_) {
        out.push_back(mapped(p));
        continue;
      }
      for (auto [b, e] : gpt2_->find_all(p)) out.push_back(mapped(std::string_view(p).substr(b, e - b)));
    }
    pieces = std::move(out);
  }

 private:
  static std::string mapped(std::string_view s) {
    std::string out;
    out.reserve(s.size() * 2);
    for (unsigned char c : s) out += byte_to_unicode(c);
    return out;
  }
  bool add_prefix_space_;
  std::unique_ptr<Regex> gpt2_;
};

class Sequence : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void split(std::vector<std::string>& pieces) const override {
    for (auto& s : steps_) s->split(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

Behavior behavior(const JsonAt& j) {
  const std::string b = j.value.is_string() ? j.value.get<std::string>() : "";
  if (b == "Removed") return Behavior::Removed;
  if (b == "Isolated") return Behavior::Isolated;
  if (b == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (b == "MergedWithNext") return Behavior::MergedWithNext;
  if (b == "Contiguous") return Behavior::Contiguous;
  j.fail("unknown split behavior " + j.value.dump());
}

}  // namespace

std::unique_ptr<PreTokenizer> load_pre_tokenizer(const JsonAt& j) {
  if (j.value.is_null()) return nullptr;
  const std::string type = j.string("type");
  if (type == "Split") {
    if (j.flag("invert", false)) j.at("invert").fail("an inverted Split is not implemented");
    return std::make_unique<Split>(load_pattern(j.at("pattern")), behavior(j.at("behavior")));
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevel>(j.flag("add_prefix_space", true), j.flag("use_regex", true));
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    const JsonAt list = j.at("pretokenizers");
    for (size_t i = 0; i < list.value.size(); ++i)
      if (auto p = load_pre_tokenizer(list.at(i))) steps.push_back(std::move(p));
    return std::make_unique<Sequence>(std::move(steps));
  }
  unsupported(j.at("type"), "pre-tokenizer", {"Split", "ByteLevel", "Sequence"});
}

}  // namespace longalign::host::hf
