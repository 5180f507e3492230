#include "host/decode/json_scan.h"

#include <cstdint>

namespace clickagg {
namespace {

// Unknown values may nest; the limit keeps recursion bounded on hostile input.
constexpr int kMaxDepth = 64;

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

unsigned read_hex4(const char* p) {
  unsigned v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 4) | static_cast<unsigned>(hex_value(p[i]));
  return v;
}

size_t put_utf8(uint32_t cp, char* dst) {
  if (cp < 0x80) {
    dst[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    dst[0] = static_cast<char>(0xC0 | (cp >> 6));
    dst[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    dst[0] = static_cast<char>(0xE0 | (cp >> 12));
    dst[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    dst[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  dst[0] = static_cast<char>(0xF0 | (cp >> 18));
  dst[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  dst[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  dst[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

}  // namespace

bool JsonScanner::scan_hex4(unsigned& v) {
  if (end_ - p_ < 4) return false;
  v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = hex_value(p_[i]);
    if (h < 0) return false;
    v = (v << 4) | static_cast<unsigned>(h);
  }
  p_ += 4;
  return true;
}

bool JsonScanner::scan_string(std::string_view& raw, bool& escaped) {
  if (!consume('"')) return false;
  const char* begin = p_;
  escaped = false;
  while (p_ < end_) {
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      raw = {begin, static_cast<size_t>(p_ - begin)};
      ++p_;
      return true;
    }
    if (c < 0x20) return false;  // control bytes must be escaped
    if (c != '\\') {
      ++p_;
      continue;
    }
    escaped = true;
    if (++p_ >= end_) return false;
    const char e = *p_++;
    switch (e) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        break;
      case 'u': {
        unsigned v;
        if (!scan_hex4(v)) return false;
        if (v >= 0xDC00 && v <= 0xDFFF) return false;  // a low surrogate alone
        if (v >= 0xD800 && v <= 0xDBFF) {              // must pair with a low surrogate
          if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') return false;
          p_ += 2;
          unsigned lo;
          if (!scan_hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
        }
        break;
      }
      default:
        return false;
    }
  }
  return false;  // unterminated
}

bool JsonScanner::scan_number(std::string_view& text) {
  const char* begin = p_;
  consume('-');
  if (p_ >= end_ || !is_digit(*p_)) return false;
  if (*p_ == '0') {
    ++p_;
  } else {
    while (p_ < end_ && is_digit(*p_)) ++p_;
  }
  if (p_ < end_ && *p_ == '.') {
    ++p_;
    if (p_ >= end_ || !is_digit(*p_)) return false;
    while (p_ < end_ && is_digit(*p_)) ++p_;
  }
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
    ++p_;
    if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (p_ >= end_ || !is_digit(*p_)) return false;
    while (p_ < end_ && is_digit(*p_)) ++p_;
  }
  text = {begin, static_cast<size_t>(p_ - begin)};
  return true;
}

bool JsonScanner::scan_literal(std::string_view& text) {
  static constexpr std::string_view kLiterals[] = {"true", "false", "null"};
  for (std::string_view lit : kLiterals) {
    if (static_cast<size_t>(end_ - p_) >= lit.size() && std::string_view(p_, lit.size()) == lit) {
      text = {p_, lit.size()};
      p_ += lit.size();
      return true;
    }
  }
  return false;
}

bool JsonScanner::skip_value(int depth) {
  if (depth > kMaxDepth) return false;
  std::string_view tok;
  bool escaped;
  switch (peek()) {
    case '"':
      return scan_string(tok, escaped);
    case '{': {
      ++p_;
      skip_ws();
      if (consume('}')) return true;
      for (;;) {
        skip_ws();
        if (!scan_string(tok, escaped)) return false;
        skip_ws();
        if (!consume(':')) return false;
        skip_ws();
        if (!skip_value(depth + 1)) return false;
        skip_ws();
        if (consume('}')) return true;
        if (!consume(',')) return false;
      }
    }
    case '[': {
      ++p_;
      skip_ws();
      if (consume(']')) return true;
      for (;;) {
        skip_ws();
        if (!skip_value(depth + 1)) return false;
        skip_ws();
        if (consume(']')) return true;
        if (!consume(',')) return false;
      }
    }
    case 't': case 'f': case 'n':
      return scan_literal(tok);
    default:
      return scan_number(tok);
  }
}

size_t unescape_json_string(std::string_view raw, char* dst) {
  const char* p = raw.data();
  const char* end = p + raw.size();
  size_t n = 0;
  while (p < end) {
    if (*p != '\\') {
      dst[n++] = *p++;
      continue;
    }
    const char e = p[1];
    p += 2;
    switch (e) {
      case 'b': dst[n++] = '\b'; break;
      case 'f': dst[n++] = '\f'; break;
      case 'n': dst[n++] = '\n'; break;
      case 'r': dst[n++] = '\r'; break;
      case 't': dst[n++] = '\t'; break;
      case 'u': {
        uint32_t cp = read_hex4(p);
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          const uint32_t lo = read_hex4(p + 2);
          p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        n += put_utf8(cp, dst + n);
        break;
      }
      default: dst[n++] = e; break;  // '"', '\\', '/'
    }
  }
  return n;
}

}  // namespace clickagg
