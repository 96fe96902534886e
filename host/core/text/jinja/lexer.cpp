#include "text/jinja/lexer.h"

#include <algorithm>
#include <cctype>

#include "text/jinja/value.h"
#include "text/utf8.h"

namespace longalign::host::jinja {
namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {
    if (!src_.empty() && src_.back() == '\n') src_.remove_suffix(1);
  }

  std::vector<Token> run() {
    bool strip_next = false;  // the tag before ended with `-`
    while (pos_ < src_.size()) {
      size_t open = find_open(pos_);
      std::string_view text = src_.substr(pos_, open - pos_);
      const size_t text_start = pos_;
      if (strip_next)
        while (!text.empty() && space(text.front())) text.remove_prefix(1);
      if (open < src_.size()) {
        const char kind = src_[open + 1];
        const bool minus = open + 2 < src_.size() && src_[open + 2] == '-';
        if (minus) {
          while (!text.empty() && space(text.back())) text.remove_suffix(1);
        } else if (kind != '{' && !(open + 2 < src_.size() && src_[open + 2] == '+')) {
          text = lstrip_block(text, text_start, open);
        }
      }
      emit_text(text, text_start);
      if (open >= src_.size()) break;
      const char kind = src_[open + 1];
      pos_ = open + 2;
      if (pos_ < src_.size() && (src_[pos_] == '-' || src_[pos_] == '+')) ++pos_;
      if (kind == '#') {
        strip_next = comment();
      } else {
        strip_next = tag(kind == '{');
      }
    }
    tokens_.push_back({Token::Kind::End, "", line_at(src_.size())});
    return std::move(tokens_);
  }

 private:
  size_t find_open(size_t from) const {
    for (size_t k = src_.find('{', from); k != std::string_view::npos; k = src_.find('{', k + 1))
      if (k + 1 < src_.size() && (src_[k + 1] == '{' || src_[k + 1] == '%' || src_[k + 1] == '#')) return k;
    return src_.size();
  }

  // lstrip_blocks: spaces and tabs between a line's start and a block tag or comment go.
  std::string_view lstrip_block(std::string_view text, size_t text_start, size_t open) const {
    size_t k = open;
    while (k > text_start && (src_[k - 1] == ' ' || src_[k - 1] == '\t')) --k;
    if (k == 0 || src_[k - 1] == '\n') text.remove_suffix(std::min(open - k, text.size()));
    return text;
  }

  void emit_text(std::string_view text, size_t at) {
    if (!text.empty()) tokens_.push_back({Token::Kind::Text, std::string(text), line_at(at)});
  }

  int line_at(size_t at) {
    while (counted_ < at && counted_ < src_.size()) line_ += src_[counted_++] == '\n';
    return line_;
  }

  // After the end of a tag or comment: true when it strips what follows (`-`); a block tag or
  // comment without it takes the one newline after it (trim_blocks).
  bool after_close(size_t close_at, bool block, bool minus) {
    pos_ = close_at + 2;
    if (!minus && block && pos_ < src_.size() && src_[pos_] == '\n') ++pos_;
    return minus;
  }

  bool comment() {
    const size_t start = pos_;
    const size_t end = src_.find("#}", pos_);
    if (end == std::string_view::npos) throw Error("a comment is not closed with #}", line_at(start));
    return after_close(end, true, end > start && src_[end - 1] == '-');
  }

  bool tag(bool output) {
    const int line = line_at(pos_);
    tokens_.push_back({output ? Token::Kind::OpenOutput : Token::Kind::OpenStatement, "", line});
    const char closer = output ? '}' : '%';
    while (true) {
      while (pos_ < src_.size() && space(src_[pos_])) ++pos_;
      if (pos_ >= src_.size()) throw Error(std::string("a tag is not closed with ") + (output ? "}}" : "%}"), line);
      const char c = src_[pos_];
      const bool minus = c == '-' && src_.substr(pos_ + 1, 2) == std::string{closer, '}'};
      if (minus || (c == closer && pos_ + 1 < src_.size() && src_[pos_ + 1] == '}')) {
        tokens_.push_back({output ? Token::Kind::CloseOutput : Token::Kind::CloseStatement, "", line_at(pos_)});
        return after_close(pos_ + (minus ? 1 : 0), !output, minus);
      }
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t end = pos_;
        while (end < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[end])) || src_[end] == '_')) ++end;
        tokens_.push_back({Token::Kind::Name, std::string(src_.substr(pos_, end - pos_)), line_at(pos_)});
        pos_ = end;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        number();
      } else if (c == '\'' || c == '"') {
        string(c);
      } else {
        symbol();
      }
    }
  }

  void number() {
    size_t end = pos_;
    bool is_float = false;
    auto digits = [&] {
      while (end < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[end])) || src_[end] == '_')) ++end;
    };
    digits();
    if (end + 1 < src_.size() && src_[end] == '.' && std::isdigit(static_cast<unsigned char>(src_[end + 1]))) {
      ++end;
      is_float = true;
      digits();
    }
    if (end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
      size_t k = end + 1;
      if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) ++k;
      if (k < src_.size() && std::isdigit(static_cast<unsigned char>(src_[k]))) {
        end = k;
        is_float = true;
        digits();
      }
    }
    std::string text;
    for (char ch : src_.substr(pos_, end - pos_))
      if (ch != '_') text += ch;
    tokens_.push_back({is_float ? Token::Kind::Float : Token::Kind::Int, text, line_at(pos_)});
    pos_ = end;
  }

  // Python's string escapes; an unknown one stays as written, as Python keeps it.
  void string(char quote) {
    const int line = line_at(pos_);
    std::string value;
    size_t k = pos_ + 1;
    for (;; ++k) {
      if (k >= src_.size()) throw Error("a string is not closed", line);
      const char c = src_[k];
      if (c == quote) break;
      if (c != '\\' || k + 1 >= src_.size()) {
        value += c;
        continue;
      }
      const char e = src_[++k];
      switch (e) {
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case 'r': value += '\r'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'v': value += '\v'; break;
        case '0': value += '\0'; break;
        case '\\': case '\'': case '"': value += e; break;
        case '\n': break;
        case 'x': case 'u': case 'U': {
          const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (k + n >= src_.size()) throw Error("a truncated \\" + std::string(1, e) + " escape", line);
          utf8::append(value, static_cast<char32_t>(std::stoul(std::string(src_.substr(k + 1, n)), nullptr, 16)));
          k += n;
          break;
        }
        default: value += '\\'; value += e;
      }
    }
    tokens_.push_back({Token::Kind::String, value, line});
    pos_ = k + 1;
  }

  void symbol() {
    static const char* const kTwo[] = {"==", "!=", "<=", ">=", "//", "**"};
    for (const char* s : kTwo)
      if (src_.substr(pos_, 2) == s) {
        tokens_.push_back({Token::Kind::Symbol, s, line_at(pos_)});
        pos_ += 2;
        return;
      }
    const char c = src_[pos_];
    if (std::string_view("()[]{},.:|=<>+-*/%~").find(c) == std::string_view::npos)
      throw Error(std::string("unexpected character '") + c + "' in a tag", line_at(pos_));
    tokens_.push_back({Token::Kind::Symbol, std::string(1, c), line_at(pos_)});
    ++pos_;
  }

  std::string_view src_;
  size_t pos_ = 0, counted_ = 0;
  int line_ = 1;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> lex(std::string_view source) { return Lexer(source).run(); }

}  // namespace longalign::host::jinja
