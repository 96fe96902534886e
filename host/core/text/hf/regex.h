// The split patterns of tokenizer.json files, through PCRE2 with Unicode properties (\p{L},
// \p{N}, (?i:...) and lookaheads as Hugging Face's Oniguruma patterns use them), JIT-compiled.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace longalign::host::hf {

class Regex {
 public:
  explicit Regex(const std::string& pattern);  // throws std::invalid_argument with PCRE2's reason
  ~Regex();
  Regex(Regex&&) noexcept;

  // The [begin, end) byte ranges of the successive non-overlapping matches in valid UTF-8.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A pattern that matches `literal` exactly.
std::string quote(std::string_view literal);

}  // namespace longalign::host::hf
