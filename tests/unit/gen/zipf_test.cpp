// Zipf sampling against the exact distribution, and the rank-to-ad bijection.
#include <chrono>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "host/gen/ad_permutation.h"
#include "host/gen/zipf.h"

namespace clickagg::gen {
namespace {

std::vector<double> exact_probabilities(uint64_t n, double s) {
  std::vector<double> p(n);
  double total = 0;
  for (uint64_t k = 0; k < n; ++k) total += p[k] = std::pow(static_cast<double>(k + 1), -s);
  for (double& v : p) v /= total;
  return p;
}

double chi_square(uint64_t n, double s, uint64_t samples, uint64_t seed) {
  ZipfSampler zipf(n, s);
  Rng rng(seed);
  std::vector<uint64_t> hits(n);
  for (uint64_t i = 0; i < samples; ++i) {
    const uint64_t k = zipf.sample(rng);
    EXPECT_LT(k, n);
    if (k < n) ++hits[k];
  }
  const auto p = exact_probabilities(n, s);
  double chi2 = 0;
  for (uint64_t k = 0; k < n; ++k) {
    const double expected = p[k] * static_cast<double>(samples);
    const double d = static_cast<double>(hits[k]) - expected;
    chi2 += d * d / expected;
  }
  return chi2;
}

// 9 degrees of freedom: P(chi2 > 50) is about 1e-7, so only a wrong distribution fails.
TEST(Zipf, MatchesExactProbabilitiesOnSmallUniverse) {
  for (double s : {0.0, 0.5, 1.0, 1.1, 1.5, 2.5}) {
    SCOPED_TRACE(s);
    EXPECT_LT(chi_square(10, s, 200'000, 42), 50.0);
  }
}

// 99 degrees of freedom (mean 99, sd 14): 200 is more than 7 sd out.
TEST(Zipf, MatchesExactProbabilitiesOnHundredRanks) {
  for (double s : {1.0, 1.1}) {
    SCOPED_TRACE(s);
    EXPECT_LT(chi_square(100, s, 1'000'000, 7), 200.0);
  }
}

TEST(Zipf, UniformWhenExponentIsZero) {
  ZipfSampler zipf(4, 0.0);
  Rng rng(3);
  std::vector<int> hits(4);
  for (int i = 0; i < 400'000; ++i) ++hits[zipf.sample(rng)];
  for (int h : hits) EXPECT_NEAR(h, 100'000, 1'500);  // ~5.5 sd
}

TEST(Zipf, SingleElementUniverse) {
  ZipfSampler zipf(1, 1.1);
  Rng rng(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(zipf.sample(rng), 0u);
}

TEST(Zipf, TwoMillionAdsSetUpFastAndHeadMatches) {
  constexpr uint64_t n = 2'000'000;
  const auto t0 = std::chrono::steady_clock::now();
  ZipfSampler zipf(n, 1.1);
  const auto setup = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(std::chrono::duration<double>(setup).count(), 0.1);

  const auto p = exact_probabilities(n, 1.1);
  Rng rng(11);
  constexpr int samples = 1'000'000;
  int head[3] = {0, 0, 0};
  uint64_t max_rank = 0;
  for (int i = 0; i < samples; ++i) {
    const uint64_t k = zipf.sample(rng);
    ASSERT_LT(k, n);
    if (k < 3) ++head[k];
    max_rank = std::max(max_rank, k);
  }
  for (int k = 0; k < 3; ++k) {
    const double expected = p[k] * samples;
    EXPECT_NEAR(head[k], expected, 6 * std::sqrt(expected)) << "rank " << k;
  }
  EXPECT_GT(max_rank, n / 2);  // the tail is reached
}

TEST(Zipf, RejectsBadParameters) {
  EXPECT_THROW(ZipfSampler(0, 1.0), std::invalid_argument);
  EXPECT_THROW(ZipfSampler(10, -1.0), std::invalid_argument);
  EXPECT_THROW(ZipfSampler(10, std::nan("")), std::invalid_argument);
}

TEST(AdPermutation, IsABijectionThatScattersTheHead) {
  for (uint64_t n : {1ull, 2ull, 3ull, 10ull, 1000ull, 2'000'000ull}) {
    SCOPED_TRACE(n);
    AdPermutation perm(n);
    std::vector<bool> seen(n);
    for (uint64_t r = 0; r < n; ++r) {
      const uint64_t id = perm(r);
      ASSERT_LT(id, n);
      ASSERT_FALSE(seen[id]);
      seen[id] = true;
    }
  }
  AdPermutation perm(2'000'000);
  EXPECT_NE(perm(0), 0u);
  const auto gap = static_cast<int64_t>(perm(1)) - static_cast<int64_t>(perm(0));
  EXPECT_GT(std::llabs(gap), 1000);
}

}  // namespace
}  // namespace clickagg::gen
