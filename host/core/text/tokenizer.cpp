#include "text/tokenizer.h"

namespace longalign::host {

void ByteTokenizer::encode(std::string_view text, std::vector<uint32_t>& out) const {
  out.reserve(out.size() + text.size());
  for (unsigned char c : text) out.push_back(c);
}

std::string ByteTokenizer::decode(const std::vector<uint32_t>& ids) const {
  std::string s;
  for (uint32_t id : ids)
    if (id < 256) s += static_cast<char>(id);
  return s;
}

std::string ByteTokenizer::show(const std::vector<uint32_t>& ids) const {
  std::string s;
  for (uint32_t id : ids) {
    if (id < 256) s += static_cast<char>(id);
    else s += id == bos() ? "<s>" : id == eos() ? "</s>" : id == pad() ? "<pad>" : "<" + std::to_string(id) + ">";
  }
  return s;
}

}  // namespace longalign::host
