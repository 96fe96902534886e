// Chat-template source into tokens, with the whitespace rules transformers renders under:
// trim_blocks (the newline after a block tag or comment goes), lstrip_blocks (spaces and tabs
// before a block tag at a line's start go), `-` on a tag's inside end strips all whitespace
// on that side, and one trailing newline of the source is dropped.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace longalign::host::jinja {

struct Token {
  enum class Kind { Text, OpenOutput, CloseOutput, OpenStatement, CloseStatement, Name, String, Int, Float, Symbol, End };
  Kind kind;
  std::string text;  // Text's text, a name, a string's value, a number's digits, a symbol
  int line = 1;
};

std::vector<Token> lex(std::string_view source);  // throws Error naming the line

}  // namespace longalign::host::jinja
