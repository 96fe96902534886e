// Code points in and out of UTF-8, for the tokenizers that work on characters. Text is made
// valid first (longalign/utf8.hpp's repaired_utf8), so these trust their input.
#pragma once
#include <string>
#include <string_view>

namespace longalign::host::utf8 {

// The code point of the sequence at s[i] (its length in *len); s must be valid there.
char32_t decode(std::string_view s, size_t i, size_t* len);

void append(std::string& out, char32_t c);

}  // namespace longalign::host::utf8
