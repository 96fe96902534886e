#include "text/hf/file_error.h"

namespace longalign::host::hf {

JsonAt JsonAt::at(const std::string& key) const {
  if (!value.is_object() || !value.contains(key)) fail("no member '" + key + "'");
  return {value.at(key), file, path + "/" + key};
}

JsonAt JsonAt::at(size_t index) const {
  if (!value.is_array() || index >= value.size()) fail("no element " + std::to_string(index));
  return {value.at(index), file, path + "/" + std::to_string(index)};
}

std::string JsonAt::string(const std::string& key) const {
  JsonAt v = at(key);
  if (!v.value.is_string()) v.fail("expected a string, found " + v.value.dump().substr(0, 80));
  return v.value.get<std::string>();
}

bool JsonAt::flag(const std::string& key, bool otherwise) const {
  if (!has(key)) return otherwise;
  JsonAt v = at(key);
  if (!v.value.is_boolean()) v.fail("expected true or false, found " + v.value.dump().substr(0, 80));
  return v.value.get<bool>();
}

uint32_t token_id(const JsonAt& j) {
  if (!j.value.is_number_unsigned() || j.value.get<uint64_t>() >= kMaxTokenId)
    j.fail("expected a token id (a whole number below " + std::to_string(kMaxTokenId) + "), found " + j.value.dump().substr(0, 80));
  return j.value.get<uint32_t>();
}

void JsonAt::fail(const std::string& what) const {
  throw TokenizerFileError(file.string() + " at " + (path.empty() ? "/" : path) + ": " + what);
}

}  // namespace longalign::host::hf
