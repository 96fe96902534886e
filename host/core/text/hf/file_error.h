// Where in a tokenizer file a value sits, so that what is refused is named by file and JSON
// path ("tokenizer.json at /pre_tokenizer/pretokenizers/1/type: ...").
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace longalign::host::hf {

struct TokenizerFileError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct JsonAt {
  const nlohmann::json& value;
  std::filesystem::path file;
  std::string path;  // a JSON pointer

  JsonAt at(const std::string& key) const;  // throws naming the key when it is missing
  JsonAt at(size_t index) const;
  bool has(const std::string& key) const { return value.is_object() && value.contains(key) && !value.at(key).is_null(); }
  std::string string(const std::string& key) const;
  bool flag(const std::string& key, bool otherwise) const;  // a boolean member, or `otherwise` when absent
  [[noreturn]] void fail(const std::string& what) const;
};

// More ids than any vocabulary has: a bound that keeps a malformed file from allocating gigabytes.
constexpr uint32_t kMaxTokenId = 1u << 24;

// A token id at `j`: a whole number below kMaxTokenId, else refused there.
uint32_t token_id(const JsonAt& j);

}  // namespace longalign::host::hf
