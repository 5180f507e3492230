#include "host/common/hash128.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

namespace clickagg {
namespace {

Hash128 h(std::string_view s, uint64_t seed) { return hash128(s.data(), s.size(), seed); }

// Published MurmurHash3_x64_128 results (h1, h2), as used by Elasticsearch's test suite and
// the smhasher reference ("The quick brown fox..." = 6c1b07bc7bbc4be347939ac4a93c437a).
TEST(Hash128, KnownVectors) {
  struct Vec {
    const char* text;
    uint64_t seed, h1, h2;
  };
  const Vec vecs[] = {
      {"", 0, 0, 0},
      {"hell", 0, 0x629942693e10f867ULL, 0x92db0b82baeb5347ULL},
      {"hello", 1, 0xa78ddff5adae8d10ULL, 0x128900ef20900135ULL},
      {"hello ", 2, 0x8a486b23f422e826ULL, 0xf962a2c58947765fULL},
      {"hello w", 3, 0x2ea59f466f6bed8cULL, 0xc610990acc428a17ULL},
      {"hello wo", 4, 0x79f6305a386c572cULL, 0x46305aed3483b94eULL},
      {"hello wor", 5, 0xc2219d213ec1f1b5ULL, 0xa1d8e2e0a52785bdULL},
      {"The quick brown fox jumps over the lazy dog", 0, 0xe34bbc7bbc071b6cULL,
       0x7a433ca9c49a9347ULL},
      {"The quick brown fox jumps over the lazy cog", 0, 0x658ca970ff85269aULL,
       0x43fee3eaa68e5c3eULL},
  };
  for (const auto& v : vecs) {
    const Hash128 got = h(v.text, v.seed);
    EXPECT_EQ(got.lo, v.h1) << v.text;
    EXPECT_EQ(got.hi, v.h2) << v.text;
  }
}

TEST(Hash128, IncrementalEqualsOneShot) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 2000; ++round) {
    const size_t len = rng() % 200;
    std::string data(len, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    const uint64_t seed = rng();
    Hasher128 inc(seed);
    size_t pos = 0;
    while (pos < len) {
      const size_t take = std::min<size_t>(len - pos, rng() % 40);
      inc.add_bytes(data.data() + pos, take);
      pos += take;
    }
    ASSERT_EQ(inc.finish(), hash128(data.data(), len, seed)) << "len " << len;
  }
}

TEST(Hash128, FieldsAreLengthPrefixed) {
  Hasher128 a(7), b(7);
  a.add_field("ab", 2);
  a.add_field("c", 1);
  b.add_field("a", 1);
  b.add_field("bc", 2);
  EXPECT_NE(a.finish(), b.finish());
}

TEST(Hash128, SeedAndInputMatter) {
  EXPECT_NE(h("hello", 0), h("hello", 1));
  EXPECT_NE(h("hello", 0), h("hellp", 0));
  EXPECT_EQ(h("hello", 0), h("hello", 0));
  EXPECT_NE(mix64(1), mix64(2));
}

}  // namespace
}  // namespace clickagg
