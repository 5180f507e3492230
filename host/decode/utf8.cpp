#include "host/decode/utf8.h"

#include <cstdint>
#include <cstring>

namespace clickagg {

namespace {
constexpr bool is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }
}  // namespace

bool all_ascii(const char* data, size_t len) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  uint64_t high = 0;
  if (len >= 8) {
    // Whole words, the last one overlapping the one before where len is not a multiple of 8.
    uint64_t w;
    for (size_t i = 0; i + 8 <= len; i += 8) {
      std::memcpy(&w, p + i, 8);
      high |= w;
    }
    std::memcpy(&w, p + len - 8, 8);
    high |= w;
  } else {
    for (size_t i = 0; i < len; ++i) high |= p[i];
  }
  return (high & 0x8080808080808080ULL) == 0;
}

bool valid_utf8(const char* data, size_t len) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  size_t i = 0;
  while (i < len) {
    // Records are almost always ASCII: test eight bytes at a time.
    if (i + 8 <= len) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;       // overlong
      else if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;       // overlong
      else if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
      return false;
    }
    if (len - i <= need) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k <= need; ++k)
      if (!is_cont(p[i + k])) return false;
    i += need + 1;
  }
  return true;
}

}  // namespace clickagg
