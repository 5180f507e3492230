// The generator's random source: xoshiro256** seeded through splitmix64. Written out here
// (rather than std::mt19937 + std::*_distribution) because the standard distributions are
// implementation-defined, and the same seed must give the same bytes with every toolchain.
#pragma once
#include <cstdint>

namespace clickagg::gen {

// A bijective 64-bit mix (the splitmix64 finalizer): distinct inputs give distinct outputs.
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t s = seed;
    for (auto& word : state_) {
      s += 0x9e3779b97f4a7c15ULL;
      word = mix64(s);
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform in [0, n) for 0 < n <= 2^32 (multiply-shift; the bias is below n / 2^32).
  uint64_t below(uint64_t n) { return ((next() >> 32) * n) >> 32; }

  // Uniform in [lo, hi], inclusive, for hi - lo < 2^32.
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }

 private:
  static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace clickagg::gen
