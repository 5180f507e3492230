// Zipf-distributed ranks: P(rank k) ∝ 1 / (k+1)^s over k in [0, n). Rejection-inversion
// sampling (Hörmann & Derflinger, 1996): O(1) setup and O(1) expected work per sample, so
// a universe of millions of ads costs nothing to set up. s = 0 is the uniform distribution;
// s = 1 is handled by the limits of the helper functions rather than a separate formula.
#pragma once
#include <cstdint>

#include "host/gen/rng.h"

namespace clickagg::gen {

class ZipfSampler {
 public:
  // n >= 1, 0 <= s (finite); n <= 2^32 so uniform draws stay exact.
  ZipfSampler(uint64_t n, double exponent);

  // A rank in [0, n); 0 is the most frequent.
  uint64_t sample(Rng& rng) const;

  uint64_t size() const { return n_; }
  double exponent() const { return s_; }

 private:
  double h(double x) const;
  double h_integral(double x) const;
  double h_integral_inverse(double x) const;

  uint64_t n_;
  double s_;
  double h_integral_x1_ = 0;
  double h_integral_n_ = 0;
  double s_inner_ = 0;
};

}  // namespace clickagg::gen
