// 128-bit MurmurHash3 (x64 variant), host and device. Dedup keys are 128-bit fingerprints:
// with 2^30 keys in one window the chance of any collision is about 2^-69, so a fingerprint
// set is exact in practice (a 64-bit one would not be at billing scale).
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "host/common/hd.h"

namespace clickagg {

// Words are loaded as they lie in memory: the hash (and every stored fingerprint) assumes a
// little-endian machine, as x86-64, arm64 and CUDA devices are.
static_assert(std::endian::native == std::endian::little, "clickagg hashes assume little-endian");

struct Hash128 {
  uint64_t lo = 0;
  uint64_t hi = 0;
  CLICKAGG_HD bool operator==(const Hash128& o) const { return lo == o.lo && hi == o.hi; }
  CLICKAGG_HD bool operator!=(const Hash128& o) const { return !(*this == o); }
};

namespace detail {
CLICKAGG_HD uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
CLICKAGG_HD uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}
CLICKAGG_HD uint64_t load_le64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
}  // namespace detail

// Incremental form: fields are appended with length prefixes so ("ab","c") != ("a","bc").
class Hasher128 {
 public:
  CLICKAGG_HD explicit Hasher128(uint64_t seed) : h1_(seed), h2_(seed) {}

  CLICKAGG_HD void add_bytes(const void* data, size_t len) {
    const auto* p = static_cast<const unsigned char*>(data);
    size_t i = 0;
    while (i < len && fill_ != 0) push(p[i++]);
    // Whole 16-byte blocks straight from the input: the common path for long fields.
    for (; i + 16 <= len; i += 16) {
      for (int j = 0; j < 16; ++j) buf_[j] = p[i + j];
      total_ += 16;
      block();
    }
    while (i < len) push(p[i++]);
  }
  CLICKAGG_HD void add_field(const char* data, size_t len) {
    add_u64(static_cast<uint64_t>(len));
    add_bytes(data, len);
  }
  CLICKAGG_HD void add_u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) push(static_cast<unsigned char>(v >> (8 * i)));
  }

  CLICKAGG_HD Hash128 finish() {
    // Tail handling of MurmurHash3_x64_128.
    uint64_t k1 = 0, k2 = 0;
    for (int i = static_cast<int>(fill_) - 1; i >= 8; --i) k2 = (k2 << 8) | buf_[i];
    for (int i = (fill_ < 8 ? static_cast<int>(fill_) : 8) - 1; i >= 0; --i) k1 = (k1 << 8) | buf_[i];
    uint64_t h1 = h1_, h2 = h2_;
    if (fill_ > 8) {
      k2 *= kC2; k2 = detail::rotl64(k2, 33); k2 *= kC1; h2 ^= k2;
    }
    if (fill_ > 0) {
      k1 *= kC1; k1 = detail::rotl64(k1, 31); k1 *= kC2; h1 ^= k1;
    }
    h1 ^= total_; h2 ^= total_;
    h1 += h2; h2 += h1;
    h1 = detail::fmix64(h1); h2 = detail::fmix64(h2);
    h1 += h2; h2 += h1;
    return Hash128{h1, h2};
  }

 private:
  static constexpr uint64_t kC1 = 0x87c37b91114253d5ULL;
  static constexpr uint64_t kC2 = 0x4cf5ad432745937fULL;

  CLICKAGG_HD void push(unsigned char b) {
    buf_[fill_++] = b;
    ++total_;
    if (fill_ == 16) block();
  }
  CLICKAGG_HD void block() {
    uint64_t k1 = detail::load_le64(buf_), k2 = detail::load_le64(buf_ + 8);
    k1 *= kC1; k1 = detail::rotl64(k1, 31); k1 *= kC2; h1_ ^= k1;
    h1_ = detail::rotl64(h1_, 27); h1_ += h2_; h1_ = h1_ * 5 + 0x52dce729;
    k2 *= kC2; k2 = detail::rotl64(k2, 33); k2 *= kC1; h2_ ^= k2;
    h2_ = detail::rotl64(h2_, 31); h2_ += h1_; h2_ = h2_ * 5 + 0x38495ab5;
    fill_ = 0;
  }

  uint64_t h1_, h2_;
  uint64_t total_ = 0;
  unsigned char buf_[16] = {};
  unsigned fill_ = 0;
};

namespace detail {
// Little-endian 8-byte load of p[0, n) (n <= 8), zero-filled above: whole words through
// memcpy, which compilers turn into one load on host and device alike.
CLICKAGG_HD uint64_t load_le_partial(const unsigned char* p, size_t n) {
  uint64_t v = 0;
  if (n == 8) {
    memcpy(&v, p, 8);
  } else {
    for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  }
  return v;
}
}  // namespace detail

// One-shot over a byte range (the standard MurmurHash3_x64_128 result for this seed). Reads
// whole 8-byte words rather than feeding Hasher128 byte by byte: the same function, several
// times faster, which matters because every event's dedup key goes through it.
CLICKAGG_HD Hash128 hash128(const void* data, size_t len, uint64_t seed) {
  constexpr uint64_t c1 = 0x87c37b91114253d5ULL;
  constexpr uint64_t c2 = 0x4cf5ad432745937fULL;
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h1 = seed, h2 = seed;
  const size_t blocks = len / 16;
  for (size_t b = 0; b < blocks; ++b, p += 16) {
    uint64_t k1, k2;
    memcpy(&k1, p, 8);
    memcpy(&k2, p + 8, 8);
    k1 *= c1; k1 = detail::rotl64(k1, 31); k1 *= c2; h1 ^= k1;
    h1 = detail::rotl64(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
    k2 *= c2; k2 = detail::rotl64(k2, 33); k2 *= c1; h2 ^= k2;
    h2 = detail::rotl64(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
  }
  const size_t tail = len & 15;
  if (tail > 8) {
    uint64_t k2 = detail::load_le_partial(p + 8, tail - 8);
    k2 *= c2; k2 = detail::rotl64(k2, 33); k2 *= c1; h2 ^= k2;
  }
  if (tail > 0) {
    uint64_t k1 = detail::load_le_partial(p, tail < 8 ? tail : 8);
    k1 *= c1; k1 = detail::rotl64(k1, 31); k1 *= c2; h1 ^= k1;
  }
  h1 ^= len; h2 ^= len;
  h1 += h2; h2 += h1;
  h1 = detail::fmix64(h1); h2 = detail::fmix64(h2);
  h1 += h2; h2 += h1;
  return Hash128{h1, h2};
}

// 64-bit mixer for table slots (ad ids, group keys).
CLICKAGG_HD uint64_t mix64(uint64_t k) { return detail::fmix64(k ^ 0x9e3779b97f4a7c15ULL); }

}  // namespace clickagg
