// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes
// for U+0100 onwards in order, so every byte string is a string of visible characters.
#include <array>
#include <string>

#include "text/hf/components.h"
#include "text/utf8.h"

namespace longalign::host::hf {
namespace {

bool printable(int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

struct Tables {
  std::array<std::string, 256> to_unicode;
  std::array<int, 512> to_byte{};
  Tables() {
    to_byte.fill(-1);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const char32_t c = printable(b) ? b : next++;
      utf8::append(to_unicode[b], c);
      to_byte[c] = b;
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::string& byte_to_unicode(unsigned char b) { return tables().to_unicode[b]; }

int unicode_to_byte(char32_t c) { return c < 512 ? tables().to_byte[c] : -1; }

}  // namespace longalign::host::hf
