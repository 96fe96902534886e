#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>

#include "text/hf/components.h"
#include "text/hf/regex.h"

namespace longalign::host::hf {
namespace {

// Unicode normalization forms, through ICU.
class UnicodeForm : public Normalizer {
 public:
  UnicodeForm(const std::string& form, const JsonAt& j) {
    UErrorCode err = U_ZERO_ERROR;
    if (form == "NFC") n_ = icu::Normalizer2::getNFCInstance(err);
    if (form == "NFD") n_ = icu::Normalizer2::getNFDInstance(err);
    if (form == "NFKC") n_ = icu::Normalizer2::getNFKCInstance(err);
    if (form == "NFKD") n_ = icu::Normalizer2::getNFKDInstance(err);
    if (U_FAILURE(err) || !n_) j.fail(std::string("ICU has no ") + form + " normalizer: " + u_errorName(err));
  }
  std::string normalize(std::string text) const override {
    std::string out;
    icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(text.size()));
    UErrorCode err = U_ZERO_ERROR;
    n_->normalizeUTF8(0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), sink, nullptr, err);
    if (U_FAILURE(err)) throw std::runtime_error(std::string("Unicode normalization failed: ") + u_errorName(err));
    return out;
  }

 private:
  const icu::Normalizer2* n_ = nullptr;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string normalize(std::string text) const override { return text.empty() ? text : prefix_ + text; }

 private:
  std::string prefix_;
};

// Replace, with a literal or a regex pattern (every non-overlapping match, left to right).
class Replace : public Normalizer {
 public:
  Replace(Regex pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::string normalize(std::string text) const override {
    std::string out;
    size_t last = 0;
    for (auto [b, e] : pattern_.find_all(text)) {
      out.append(text, last, b - last);
      out += content_;
      last = e;
    }
    out.append(text, last, std::string::npos);
    return out;
  }

 private:
  Regex pattern_;
  std::string content_;
};

class Sequence : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  std::string normalize(std::string text) const override {
    for (auto& s : steps_) text = s->normalize(std::move(text));
    return text;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

// A Replace or Split "pattern": {"String": literal} or {"Regex": pattern}.
Regex load_pattern(const JsonAt& j) {
  try {
    if (j.has("String")) return Regex(quote(j.string("String")));
    if (j.has("Regex")) return Regex(j.string("Regex"));
  } catch (const std::invalid_argument& e) {
    j.fail(e.what());
  }
  j.fail("a pattern is {\"String\": ...} or {\"Regex\": ...}");
}

std::unique_ptr<Normalizer> load_normalizer(const JsonAt& j) {
  if (j.value.is_null()) return nullptr;
  const std::string type = j.string("type");
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") return std::make_unique<UnicodeForm>(type, j);
  if (type == "Prepend") return std::make_unique<Prepend>(j.string("prepend"));
  if (type == "Replace") return std::make_unique<Replace>(load_pattern(j.at("pattern")), j.string("content"));
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> steps;
    const JsonAt list = j.at("normalizers");
    for (size_t i = 0; i < list.value.size(); ++i)
      if (auto n = load_normalizer(list.at(i))) steps.push_back(std::move(n));
    if (steps.empty()) return nullptr;  // DeepSeek's: no normalization at all
    return std::make_unique<Sequence>(std::move(steps));
  }
  unsupported(j.at("type"), "normalizer", {"NFC", "NFD", "NFKC", "NFKD", "Prepend", "Replace", "Sequence"});
}

void unsupported(const JsonAt& type, const std::string& stage, const std::vector<std::string>& supported) {
  std::string list;
  for (auto& s : supported) list += (list.empty() ? "" : ", ") + s;
  type.fail("the " + stage + " type '" + type.value.get<std::string>() + "' is not implemented (implemented: " + list +
            "); longalign refuses rather than approximates it");
}

}  // namespace longalign::host::hf
