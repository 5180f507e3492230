// Maps popularity ranks to ad numbers with a fixed bijection, so the hottest ads are spread
// over the id space instead of being ad0000000, ad0000001, ... (which would flatter any
// structure that happens to favour small or adjacent ids).
#pragma once
#include <cstdint>
#include <numeric>

namespace clickagg::gen {

class AdPermutation {
 public:
  // An affine map id = (a * rank + b) mod n with gcd(a, n) = 1, which is a bijection on
  // [0, n). `a` starts near n / golden ratio so neighbouring ranks land far apart.
  explicit AdPermutation(uint64_t n) : n_(n) {
    if (n_ <= 1) return;
    a_ = static_cast<uint64_t>(static_cast<double>(n_) * 0.6180339887498949) | 1;
    while (std::gcd(a_, n_) != 1) a_ += 2;
    a_ %= n_;
    b_ = mix(n_) % n_;
  }

  // rank in [0, n); n <= 2^32 keeps a * rank within 64 bits.
  uint64_t operator()(uint64_t rank) const { return n_ <= 1 ? 0 : (a_ * rank + b_) % n_; }

 private:
  static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
  }
  uint64_t n_;
  uint64_t a_ = 1;
  uint64_t b_ = 0;
};

}  // namespace clickagg::gen
