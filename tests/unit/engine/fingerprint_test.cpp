// Dedup fingerprints are stored in every checkpoint: they must never change. Pinned values
// (computed by the first release's field-by-field hashing) and a randomized comparison with
// that form over every key length, across the one-buffer fast path and the long-key path.
#include "host/decode/dedup_key.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

namespace clickagg {
namespace {

Hash128 field_by_field(const std::string& ad, int64_t t, const std::string& user, const uint8_t ip[16],
                       const std::string& country, const std::string& click) {
  Hash128 r;
  if (!click.empty()) {
    Hasher128 h(kClickIdSeed);
    h.add_field(click.data(), click.size());
    r = h.finish();
  } else {
    Hasher128 h(kTupleSeed);
    h.add_field(ad.data(), ad.size());
    h.add_u64(static_cast<uint64_t>(t));
    h.add_field(user.data(), user.size());
    h.add_bytes(ip, 16);
    h.add_field(country.data(), country.size());
    r = h.finish();
  }
  if (r.lo == 0 && r.hi == 0) r.lo = 1;
  return r;
}

Hash128 fp(const std::string& ad, int64_t t, const std::string& user, const uint8_t ip[16],
           const std::string& country, const std::string& click) {
  return dedup_fingerprint(ad.data(), static_cast<uint32_t>(ad.size()), t, user.data(),
                           static_cast<uint32_t>(user.size()), ip, country.data(),
                           static_cast<uint32_t>(country.size()), click.data(), static_cast<uint32_t>(click.size()));
}

TEST(Fingerprint, PinnedValues) {
  const uint8_t ip4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 207, 148, 22, 22};
  const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const std::string long_user(300, 'u'), long_click(400, 'k');
  EXPECT_EQ(fp("ad001", 1609459201000LL, "user 1", ip4, "US", ""),
            (Hash128{0x24fb00a15d648af6ULL, 0x7a70bd78d0765f49ULL}));
  EXPECT_EQ(fp("ad001", 1609459201000LL, "user 1", ip4, "US", "ck0000000000000001"),
            (Hash128{0x7fb0bcc6a09fb195ULL, 0x6e9d5117263fde27ULL}));
  EXPECT_EQ(fp("ad0001234", 1609459261123LL, "user 77", ip6, "GB", ""),
            (Hash128{0xa6cf943bb04f2bdaULL, 0xd5d4466b500edd99ULL}));
  EXPECT_EQ(fp("ad0001234", 1609459261123LL, long_user, ip6, "GB", ""),
            (Hash128{0xc68878e233385cc7ULL, 0x68174b6527b50569ULL}));
  EXPECT_EQ(fp("x", 0, "u", ip4, "ZZZZZZZZZZZZZZZZ", long_click),
            (Hash128{0x556ea1896ff1fcc1ULL, 0x968ac75d1d02b7e2ULL}));
}

TEST(Fingerprint, EqualsFieldByFieldHashingAtEveryLength) {
  std::mt19937_64 rng(2026);
  auto text = [&](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
  };
  for (int round = 0; round < 4000; ++round) {
    uint8_t ip[16];
    for (uint8_t& b : ip) b = static_cast<uint8_t>(rng());
    const std::string ad = text(1 + rng() % 64), user = text(1 + rng() % 300), country = text(1 + rng() % 16);
    const std::string click = rng() % 2 ? text(1 + rng() % 300) : std::string();
    const auto t = static_cast<int64_t>(rng());
    ASSERT_EQ(fp(ad, t, user, ip, country, click), field_by_field(ad, t, user, ip, country, click))
        << "round " << round << " user " << user.size() << " click " << click.size();
  }
}

}  // namespace
}  // namespace clickagg
