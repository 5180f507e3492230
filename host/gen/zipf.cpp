#include "host/gen/zipf.h"

#include <cmath>
#include <stdexcept>

namespace clickagg::gen {
namespace {

// log1p(x) / x, continuous at 0.
double log1p_over_x(double x) {
  if (std::fabs(x) > 1e-8) return std::log1p(x) / x;
  return 1.0 - x * (0.5 - x * (1.0 / 3.0 - x * 0.25));
}

// expm1(x) / x, continuous at 0.
double expm1_over_x(double x) {
  if (std::fabs(x) > 1e-8) return std::expm1(x) / x;
  return 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + x * 0.25));
}

}  // namespace

ZipfSampler::ZipfSampler(uint64_t n, double exponent) : n_(n), s_(exponent) {
  if (n == 0 || n > (uint64_t{1} << 32)) throw std::invalid_argument("zipf: universe must be 1..2^32");
  if (!(exponent >= 0) || !std::isfinite(exponent))
    throw std::invalid_argument("zipf: exponent must be finite and >= 0");
  if (s_ == 0) return;  // uniform: no tables needed
  h_integral_x1_ = h_integral(1.5) - 1.0;
  h_integral_n_ = h_integral(static_cast<double>(n_) + 0.5);
  s_inner_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
}

// h(x) = x^-s, the unnormalised density the discrete probabilities are drawn under.
double ZipfSampler::h(double x) const { return std::exp(-s_ * std::log(x)); }

// H(x) = (x^(1-s) - 1) / (1 - s), an antiderivative of h (log x when s = 1).
double ZipfSampler::h_integral(double x) const {
  const double log_x = std::log(x);
  return expm1_over_x((1.0 - s_) * log_x) * log_x;
}

double ZipfSampler::h_integral_inverse(double x) const {
  double t = x * (1.0 - s_);
  if (t < -1.0) t = -1.0;  // rounding can push t just past the domain edge
  return std::exp(log1p_over_x(t) * x);
}

uint64_t ZipfSampler::sample(Rng& rng) const {
  if (s_ == 0) return rng.below(n_);
  const double n = static_cast<double>(n_);
  for (;;) {
    // u is uniform in (H(1.5) - 1, H(n + 0.5)]; its inverse image lands near some k, which
    // is accepted when u falls under the step of k's probability mass.
    const double u = h_integral_n_ + rng.uniform() * (h_integral_x1_ - h_integral_n_);
    const double x = h_integral_inverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1) k = 1;
    else if (k > n) k = n;
    if (k - x <= s_inner_ || u >= h_integral(k + 0.5) - h(k)) return static_cast<uint64_t>(k) - 1;
  }
}

}  // namespace clickagg::gen
