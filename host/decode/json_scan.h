// A minimal RFC 8259 scanner over one JSON text: it validates and locates tokens, and leaves
// decoding of escaped strings to unescape_json_string, so unescaped strings stay views.
#pragma once
#include <cstddef>
#include <string_view>

namespace clickagg {

class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text)
      : p_(text.data()), end_(text.data() + text.size()) {}

  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool at_end() const { return p_ == end_; }
  // The next byte, or '\0' at the end (never a valid token start).
  char peek() const { return p_ < end_ ? *p_ : '\0'; }
  bool consume(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  // At '"': validates the string and yields its raw body (between the quotes) and whether it
  // holds escapes.
  bool scan_string(std::string_view& raw, bool& escaped);
  // At a number: validates the JSON number grammar and yields its text.
  bool scan_number(std::string_view& text);
  // At a literal: true, false or null.
  bool scan_literal(std::string_view& text);
  // Any value, nested objects and arrays included, without decoding it.
  bool skip_value(int depth = 0);

 private:
  bool scan_hex4(unsigned& v);

  const char* p_;
  const char* end_;
};

// Decodes a raw string body that scan_string accepted. `dst` needs raw.size() bytes; returns
// the decoded length (always <= raw.size()).
size_t unescape_json_string(std::string_view raw, char* dst);

}  // namespace clickagg
