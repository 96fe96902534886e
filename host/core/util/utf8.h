// UTF-8 validation (overlong forms, surrogates and code points past U+10FFFF are invalid), and
// repair: what a model generates is bytes, which plugins receive as UTF-8 text.
#pragma once
#include <string>
#include <string_view>

namespace longalign::host {

bool valid_utf8(std::string_view s);
// s with each byte that starts no valid sequence replaced by U+FFFD.
std::string repaired_utf8(std::string_view s);

}  // namespace longalign::host
