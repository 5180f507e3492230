// DeviceDictionary against the host AdDictionary: for the same calls, every event gets the
// same index (first appearance order), and the names table is the same, through hash
// collisions (forced: many names on a few hashes), names longer than a probe's head, events
// skipped, repeated calls and the table's growth.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "host/common/bytes_hash.h"
#include "host/engine/ad_dictionary.h"
#include "kernels/device_dictionary.h"
#include "tests/gpu/device_fixture.h"

namespace clickagg::gputest {
namespace {

class DeviceDictionaryTest : public DeviceTest {
 protected:
  // One call's ads: names drawn from `pool`, a share of events not kept; hashes either the
  // real ones or folded onto `hash_values` distinct values.
  struct Call {
    std::vector<char> text;
    std::vector<uint32_t> off, kept;
    std::vector<uint8_t> len;
    std::vector<uint64_t> hash;
    dev::AdsIn in() const { return dev::AdsIn{text, off, len, hash, kept}; }
  };
  static Call make_call(std::mt19937_64& rng, const std::vector<std::string>& pool, size_t events, uint64_t hash_values) {
    Call c;
    for (size_t e = 0; e < events; ++e) {
      // Skewed: low indexes far more often, as hot ads are.
      const size_t pick = static_cast<size_t>(std::pow(static_cast<double>(rng() % 1'000'000) / 1e6, 3) * pool.size());
      const std::string& s = pool[pick];
      c.off.push_back(static_cast<uint32_t>(c.text.size()));
      c.len.push_back(static_cast<uint8_t>(s.size()));
      const uint64_t h = bytes_hash64(s.data(), s.size());
      c.hash.push_back(hash_values == 0 ? h : (h % hash_values) * 0x9E3779B97F4A7C15ull);
      c.text.insert(c.text.end(), s.begin(), s.end());
      c.text.push_back('|');  // other bytes between names, as a batch's user ids are
      if (rng() % 10 != 0) c.kept.push_back(static_cast<uint32_t>(e));
    }
    return c;
  }

  void check_calls(uint64_t seed, size_t names, size_t calls, size_t events, uint64_t hash_values) {
    std::mt19937_64 rng(seed);
    std::vector<std::string> pool;
    for (size_t i = 0; i < names; ++i) {
      std::string s = rng() % 4 == 0 ? "a-long-campaign-prefix-shared-by-many/" : "ad";
      s += std::to_string(rng() % (names * 4));
      pool.push_back(s);
    }
    dev::DeviceDictionary d(stream_, error_.data());
    AdDictionary host(1);
    uint64_t arrival = 0;
    for (size_t c = 0; c < calls; ++c) {
      const Call call = make_call(rng, pool, events, hash_values);
      const uint32_t* d_ids = d.intern(call.in());
      std::vector<uint32_t> got(call.kept.size());
      dev::sys::copy(got.data(), d_ids, got.size() * sizeof(uint32_t), dev::sys::Copy::DeviceToHost);
      std::vector<uint32_t> local;
      for (uint32_t e : call.kept) {
        const std::string_view ad(call.text.data() + call.off[e], call.len[e]);
        local.push_back(host.intern(0, call.hash[e], ad, arrival++));
      }
      host.commit();
      for (size_t k = 0; k < call.kept.size(); ++k)
        ASSERT_EQ(got[k], host.global(0, local[k])) << "seed " << seed << " call " << c << " position " << k;
      ASSERT_GE(d.size_bound(), host.size());
      // New names come back later: every other call goes on without waiting for them.
      if (c % 2 == 0 && c + 1 < calls) continue;
      d.settle();
      ASSERT_EQ(d.size(), host.size());
      ASSERT_EQ(d.size_bound(), host.size());
      ASSERT_EQ(d.names()->size(), host.size());
      for (uint32_t i = 0; i < host.size(); ++i) ASSERT_EQ(d.names()->name(i), host.name_table().name(i));
    }
  }
};

TEST_F(DeviceDictionaryTest, FirstAppearanceOrderAcrossCalls) { check_calls(1, 5000, 6, 20'000, 0); }

TEST_F(DeviceDictionaryTest, ForcedHashCollisions) {
  check_calls(2, 3000, 4, 10'000, 7);    // thousands of names on 7 hashes
  check_calls(3, 500, 3, 5000, 1);       // every name on one hash
}

TEST_F(DeviceDictionaryTest, GrowsFromEmptyToManyNames) { check_calls(4, 200'000, 3, 150'000, 0); }

TEST_F(DeviceDictionaryTest, RestoredNamesThenEvents) {
  dev::DeviceDictionary d(stream_, error_.data());
  const std::vector<std::string_view> restored = {"ad2", "ad1", "ad2", "a-name-longer-than-fifteen-bytes", ""};
  EXPECT_EQ(d.intern_names(restored), (std::vector<uint32_t>{0, 1, 0, 2, 3}));
  EXPECT_EQ(d.names()->size(), 4u);
  EXPECT_EQ(d.names()->name(2), "a-name-longer-than-fifteen-bytes");
  const std::vector<std::string_view> later = {"ad3", "a-name-longer-than-fifteen-bytes", "ad1", "ad3"};
  EXPECT_EQ(d.intern_names(later), (std::vector<uint32_t>{4, 2, 1, 4}));
  EXPECT_TRUE(d.intern_names({}).empty());
}

}  // namespace
}  // namespace clickagg::gputest
