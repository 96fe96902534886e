// UTF-8 validation (overlong forms, surrogates and code points past U+10FFFF are invalid).
#pragma once
#include <string_view>

namespace longalign::host {

bool valid_utf8(std::string_view s);

}  // namespace longalign::host
