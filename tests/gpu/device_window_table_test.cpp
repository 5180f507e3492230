// The building blocks on their own: DeviceWindowTable (one test per operation, the header's
// example first) and TopNSelector against a brute-force ranking, over a minute and over a
// window's running sum.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>

#include "host/engine/topn_order.h"
#include "kernels/device_layout.h"
#include "kernels/device_memory.h"
#include "kernels/device_sliding_sum.h"
#include "kernels/device_window_table.h"
#include "kernels/topn_select.h"
#include "tests/gpu/device_fixture.h"

namespace clickagg::gputest {
namespace {

using dev::CountSlot;
using dev::count_key;

class DeviceBlocks : public DeviceTest {
 protected:
  std::map<unsigned long long, unsigned long long> as_map(const std::vector<CountSlot>& v) {
    std::map<unsigned long long, unsigned long long> m;
    for (const CountSlot& s : v) {
      EXPECT_EQ(m.count(s.key), 0u) << "key listed twice";
      m[s.key] = s.count;
    }
    return m;
  }
};

TEST_F(DeviceBlocks, HeaderExample) {
  dev::DeviceWindowTable t(stream_, 1024, error_.data());
  const int64_t minute = 26'824'320;
  const std::vector<CountSlot> in{{count_key(0, 7), 3}, {count_key(2, 7), 1}};
  t.insert_counts(minute, in);
  EXPECT_EQ(as_map(t.counts(minute)), (std::map<unsigned long long, unsigned long long>{{count_key(0, 7), 3}, {count_key(2, 7), 1}}));
  t.forget_counts(minute);
  EXPECT_FALSE(t.has_counts(minute));
  EXPECT_TRUE(t.counts(minute).empty());
}

TEST_F(DeviceBlocks, CountsMergeEqualKeysAndGrow) {
  dev::DeviceWindowTable t(stream_, 16, error_.data());
  std::mt19937_64 rng(7);
  std::map<unsigned long long, unsigned long long> want;
  for (int round = 0; round < 5; ++round) {
    std::vector<CountSlot> in;
    for (int i = 0; i < 20'000; ++i) {
      const unsigned long long k = count_key(static_cast<uint32_t>(rng() % 5), static_cast<uint32_t>(rng() % 9000));
      const unsigned long long c = 1 + rng() % 3;
      in.push_back({k, c});
      want[k] += c;
    }
    t.insert_counts(42, in);
    EXPECT_EQ(t.count_size(42), want.size());
    EXPECT_LE(t.count_size(42) * 2, t.count_capacity(42));
  }
  EXPECT_GT(t.count_capacity(42), 16u);
  EXPECT_EQ(as_map(t.counts(42)), want);
}

TEST_F(DeviceBlocks, FingerprintsInsertOnceAndPurge) {
  dev::DeviceWindowTable t(stream_, 16, error_.data());
  std::vector<Hash128> fps;
  for (uint64_t i = 1; i <= 5000; ++i) fps.push_back(Hash128{mix64(i), i % 3 == 0 ? 0 : mix64(i + 99)});  // hi = 0 too
  std::vector<Hash128> twice = fps;
  twice.insert(twice.end(), fps.begin(), fps.begin() + 1000);
  t.insert_fingerprints(9, twice);
  EXPECT_EQ(t.fingerprint_count(9), fps.size());
  t.insert_fingerprints(9, std::span<const Hash128>(fps).subspan(0, 10));
  EXPECT_EQ(t.fingerprint_count(9), fps.size());
  auto got = t.fingerprints(9);
  auto less = [](const Hash128& a, const Hash128& b) { return a.lo != b.lo ? a.lo < b.lo : a.hi < b.hi; };
  std::sort(got.begin(), got.end(), less);
  std::sort(fps.begin(), fps.end(), less);
  EXPECT_EQ(got, fps);
  EXPECT_EQ(t.fingerprint_minutes(), std::vector<int64_t>{9});
  t.purge_fingerprints(9);
  EXPECT_FALSE(t.has_fingerprints(9));
  EXPECT_TRUE(t.fingerprints(9).empty());
}

TEST_F(DeviceBlocks, ReserveKeepsEntriesAcrossGrowth) {
  dev::DeviceWindowTable t(stream_, 16, error_.data());
  const std::vector<CountSlot> first{{count_key(1, 1), 5}, {count_key(0, 2), 6}};
  t.insert_counts(3, first);
  t.reserve_counts(3, 100'000);
  EXPECT_GE(t.count_capacity(3), 200'000u);
  EXPECT_EQ(as_map(t.counts(3)), (std::map<unsigned long long, unsigned long long>{{count_key(1, 1), 5}, {count_key(0, 2), 6}}));
}

// Names for ads 0..n-1 on the device: "n<k>" for a shuffled k, half of them extended ("n12" and
// "n12x"), so their byte order differs from the indexes' and some are prefixes of others.
struct TestNames {
  TestNames(dev::sys::Stream stream, uint32_t n, std::mt19937_64& rng)
      : arena_d(stream), off_d(stream), len_d(stream) {
    std::vector<uint32_t> order(n);
    for (uint32_t i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    std::string arena;
    std::vector<uint32_t> off;
    std::vector<uint8_t> len;
    for (uint32_t i = 0; i < n; ++i) {
      names.push_back("n" + std::to_string(order[i] / 2) + (order[i] % 2 ? "x" : ""));
      off.push_back(static_cast<uint32_t>(arena.size()));
      len.push_back(static_cast<uint8_t>(names.back().size()));
      arena += names.back();
    }
    dev::upload_async(arena_d, arena.data(), arena.size(), stream);
    dev::upload_async(off_d, off.data(), off.size(), stream);
    dev::upload_async(len_d, len.data(), len.size(), stream);
    dev::sys::sync(stream);
  }
  dev::NamesRef ref() const { return dev::NamesRef{arena_d.data(), off_d.data(), len_d.data()}; }

  std::vector<std::string> names;
  dev::DeviceArray<char> arena_d;
  dev::DeviceArray<uint32_t> off_d;
  dev::DeviceArray<uint8_t> len_d;
};

// A minute's counts in emission order come back sorted on the device by slot, then name bytes,
// and hold the same entries as the unordered read.
TEST_F(DeviceBlocks, CountsInEmissionOrderSortBySlotThenName) {
  dev::DeviceWindowTable t(stream_, 16, error_.data());
  std::mt19937_64 rng(23);
  const TestNames tn(stream_, 2000, rng);
  std::vector<CountSlot> in;
  for (uint32_t ad = 0; ad < 2000; ++ad)
    for (uint32_t s = 0; s < 5; ++s)
      if (rng() % 2 == 0) in.push_back({count_key(s, ad), 1 + rng() % 9});
  t.insert_counts(7, in);
  const dev::NamesRef ref = tn.ref();
  const std::vector<CountSlot> ordered = t.counts(7, &ref);
  std::vector<std::pair<uint32_t, std::string>> want;
  for (const CountSlot& c : in) want.emplace_back(dev::key_slot(c.key), tn.names[dev::key_ad(c.key)]);
  std::sort(want.begin(), want.end());
  ASSERT_EQ(ordered.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(dev::key_slot(ordered[i].key), want[i].first) << i;
    ASSERT_EQ(tn.names[dev::key_ad(ordered[i].key)], want[i].second) << i;
  }
  EXPECT_EQ(as_map(ordered), as_map(t.counts(7)));
}

// The selector returns exactly each slot's top N by (count descending, name bytes ascending):
// long ties at the N-th place (slot 3 holds nothing else) are settled by the names on the
// device (TestNames).
TEST_F(DeviceBlocks, TopNIsExactlyTheTopNByCountThenName) {
  dev::DeviceWindowTable t(stream_, 16, error_.data());
  dev::TopNSelector sel(stream_, error_.data());
  std::mt19937_64 rng(11);
  const uint32_t slots = 4, ads = 3000;
  const TestNames tn(stream_, ads, rng);
  const std::vector<std::string>& names = tn.names;
  const dev::NamesRef ref = tn.ref();

  std::map<std::pair<uint32_t, uint32_t>, uint64_t> sums;  // (slot, ad) -> sum over added minutes
  const int64_t e = 1000;
  for (int64_t m = e - 4; m <= e; ++m) {
    std::vector<CountSlot> in;
    for (uint32_t ad = 0; ad < ads; ++ad) {
      for (uint32_t s = 0; s < slots; ++s) {
        if (rng() % 3 == 0) continue;
        const uint64_t c = 1 + rng() % (s == 3 ? 1 : 4);  // slot 3: long ties
        in.push_back({count_key(s, ad), c});
      }
    }
    t.insert_counts(m, in);
  }
  dev::DeviceSlidingSum sum(stream_, error_.data());
  std::vector<int64_t> held;
  for (uint32_t age = 0; age < 5; ++age) {
    const int64_t m = e - age;
    for (const CountSlot& c : t.counts(m)) sums[{dev::key_slot(c.key), dev::key_ad(c.key)}] += c.count;
    sum.move(t, std::vector<int64_t>{m}, {}, held);
    held.push_back(m);
    for (uint32_t top_n : {1u, 10u, 100u, 5000u}) {
      std::vector<dev::TopNCandidate> got;
      // A window of one minute straight from the minute's table; longer ones from the sum.
      if (age == 0) sel.minute_candidates(t, e, top_n, slots, ref, got);
      else sel.candidates(sum.groups(), top_n, slots, ref, got);
      for (uint32_t s = 0; s < slots; ++s) {
        std::vector<std::pair<uint64_t, std::string>> ranked;  // (count, name)
        std::map<std::string, uint32_t> ad_of;
        for (const auto& [key, c] : sums)
          if (key.first == s) {
            ranked.emplace_back(c, names[key.second]);
            ad_of[names[key.second]] = key.second;
          }
        std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
          return a.first != b.first ? a.first > b.first : a.second < b.second;
        });
        if (ranked.size() > top_n) ranked.resize(top_n);
        std::set<std::pair<uint32_t, uint64_t>> want, have;
        for (const auto& [c, name] : ranked) want.insert({ad_of[name], c});
        for (const auto& g : got)
          if (g.slot == s) have.insert({g.ad, g.count});
        EXPECT_EQ(have, want) << "age " << age << ", top " << top_n << ", slot " << s;
      }
    }
  }
}

TEST_F(DeviceBlocks, TopNOfNothingIsEmpty) {
  dev::DeviceWindowTable t(stream_, 16, error_.data());
  dev::TopNSelector sel(stream_, error_.data());
  std::vector<dev::TopNCandidate> got{{1, 1, 1}};
  sel.minute_candidates(t, 5, 10, 3, dev::NamesRef{}, got);
  EXPECT_TRUE(got.empty());
  got = {{1, 1, 1}};
  sel.candidates(dev::GroupsRef{}, 10, 3, dev::NamesRef{}, got);
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace clickagg::gputest
