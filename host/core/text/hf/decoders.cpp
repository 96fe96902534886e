#include <algorithm>
#include <set>

#include <longalign/utf8.hpp>

#include "text/hf/components.h"
#include "text/utf8.h"

namespace longalign::host::hf {
namespace {

// ByteLevel: the characters of consecutive tokens back to bytes, read as UTF-8 (invalid
// sequences as U+FFFD); added tokens pass through as written.
class ByteLevel : public Decoder {
 public:
  explicit ByteLevel(const std::vector<std::string>& added) : added_(added.begin(), added.end()) {}
  void decode(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    auto flush = [&] {
      if (!bytes.empty()) out.push_back(repaired_utf8(bytes));
      bytes.clear();
    };
    for (const std::string& t : tokens) {
      if (added_.count(t)) {
        flush();
        out.push_back(t);
        continue;
      }
      for (size_t i = 0, n = 0; i < t.size(); i += n) {
        const char32_t c = utf8::decode(t, i, &n);
        const int b = unicode_to_byte(c);
        if (b >= 0) bytes += static_cast<char>(b);
        else bytes.append(t, i, n);
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  std::set<std::string> added_;
};

class Replace : public Decoder {
 public:
  Replace(std::string from, std::string to) : from_(std::move(from)), to_(std::move(to)) {}
  void decode(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) t = replace_all(t, from_, to_);
  }

 private:
  std::string from_, to_;
};

// ByteFallback: runs of <0xHH> tokens become the text their bytes spell (U+FFFD where invalid).
class ByteFallback : public Decoder {
 public:
  void decode(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    for (const std::string& t : tokens) {
      if (int b = byte_token(t); b >= 0) {
        bytes += static_cast<char>(b);
        continue;
      }
      if (!bytes.empty()) out.push_back(repaired_utf8(bytes));
      bytes.clear();
      out.push_back(t);
    }
    if (!bytes.empty()) out.push_back(repaired_utf8(bytes));
    tokens = std::move(out);
  }

 private:
  static int byte_token(const std::string& t) {
    if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
    auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) ? std::stoi(std::string(1, c), nullptr, 16) : -1; };
    const int hi = hex(t[3]), lo = hex(t[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }
};

class Fuse : public Decoder {
 public:
  void decode(std::vector<std::string>& tokens) const override {
    std::string all;
    for (auto& t : tokens) all += t;
    tokens = {all};
  }
};

// Strip: up to `start` leading and `stop` trailing copies of one character off each token.
class Strip : public Decoder {
 public:
  Strip(std::string content, size_t start, size_t stop) : c_(std::move(content)), start_(start), stop_(stop) {}
  void decode(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      for (size_t i = 0; i < start_ && t.compare(0, c_.size(), c_) == 0; ++i) t.erase(0, c_.size());
      for (size_t i = 0; i < stop_ && t.size() >= c_.size() && t.compare(t.size() - c_.size(), c_.size(), c_) == 0; ++i)
        t.erase(t.size() - c_.size());
    }
  }

 private:
  std::string c_;
  size_t start_, stop_;
};

class Sequence : public Decoder {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  void decode(std::vector<std::string>& tokens) const override {
    for (auto& s : steps_) s->decode(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

size_t count(const JsonAt& j, const std::string& key) {
  const JsonAt v = j.at(key);
  if (!v.value.is_number_unsigned()) v.fail("expected a count, found " + v.value.dump());
  return v.value.get<size_t>();
}

}  // namespace

std::string replace_all(const std::string& text, const std::string& from, const std::string& to) {
  std::string out;
  size_t last = 0;
  for (size_t at; (at = text.find(from, last)) != std::string::npos; last = at + from.size()) out.append(text, last, at - last) += to;
  return out.append(text, last, std::string::npos);
}

std::unique_ptr<Decoder> load_decoder(const JsonAt& j, const std::vector<std::string>& added_tokens) {
  if (j.value.is_null()) return nullptr;
  const std::string type = j.string("type");
  if (type == "ByteLevel") return std::make_unique<ByteLevel>(added_tokens);
  if (type == "Replace") {
    const JsonAt pattern = j.at("pattern");
    if (!pattern.has("String")) pattern.fail("a Replace decoder with a regex pattern is not implemented");
    return std::make_unique<Replace>(pattern.string("String"), j.string("content"));
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallback>();
  if (type == "Fuse") return std::make_unique<Fuse>();
  if (type == "Strip") {
    const std::string content = j.string("content");
    size_t n = 0;
    utf8::decode(content, 0, &n);
    if (content.empty() || n != content.size()) j.at("content").fail("Strip removes one character, not '" + content + "'");
    return std::make_unique<Strip>(content, count(j, "start"), count(j, "stop"));
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Decoder>> steps;
    const JsonAt list = j.at("decoders");
    for (size_t i = 0; i < list.value.size(); ++i)
      if (auto d = load_decoder(list.at(i), added_tokens)) steps.push_back(std::move(d));
    return std::make_unique<Sequence>(std::move(steps));
  }
  unsupported(j.at("type"), "decoder", {"ByteLevel", "Replace", "ByteFallback", "Fuse", "Strip", "Sequence"});
}

}  // namespace longalign::host::hf
