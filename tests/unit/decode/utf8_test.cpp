// The word-at-a-time ASCII test against a byte loop, for every length up to 40 and a high byte
// at every position (the last word overlaps the one before it); and valid_utf8 finding a bad
// byte wherever it lies, past its ASCII fast path.
#include "host/decode/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace clickagg {
namespace {

TEST(Utf8, AllAsciiSeesAHighByteAnywhere) {
  for (size_t len = 0; len <= 40; ++len) {
    const std::string ascii(len, 'a');
    EXPECT_TRUE(all_ascii(ascii.data(), ascii.size())) << len;
    for (size_t at = 0; at < len; ++at) {
      std::string s = ascii;
      s[at] = static_cast<char>(0x80 + at % 0x80);
      EXPECT_FALSE(all_ascii(s.data(), s.size())) << len << " " << at;
      // Only the given range counts: a high byte just past it is not seen.
      EXPECT_TRUE(all_ascii(s.data(), at)) << len << " " << at;
    }
  }
}

TEST(Utf8, ABadByteIsFoundAtEveryPosition) {
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t at = 0; at < len; ++at) {
      std::string s(len, 'x');
      s[at] = static_cast<char>(0xFF);  // never valid in UTF-8
      EXPECT_FALSE(valid_utf8(s.data(), s.size())) << len << " " << at;
      if (at + 2 <= len) {
        s[at] = static_cast<char>(0xC3);  // a two-byte character, whole
        s[at + 1] = static_cast<char>(0xA9);
        EXPECT_TRUE(valid_utf8(s.data(), s.size())) << len << " " << at;
      } else {
        s[at] = static_cast<char>(0xC3);  // its lead byte last: cut short
        EXPECT_FALSE(valid_utf8(s.data(), s.size())) << len << " " << at;
      }
    }
  }
}

}  // namespace
}  // namespace clickagg
