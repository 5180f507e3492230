// The CPU backend's hash tables against std::map / std::set oracles: random operations with
// seeds, slots up to 1024 (as many filters as a configuration may have) on young tables,
// running sums taking minutes in and off, compaction.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "host/engine/flat_tables.h"

namespace clickagg {
namespace {

using Groups = std::map<std::pair<uint32_t, uint32_t>, uint64_t>;

Groups contents(const GroupTable& t) {
  Groups g;
  t.for_each([&](uint32_t ad, uint32_t slot, uint64_t c) {
    EXPECT_TRUE(g.emplace(std::pair{ad, slot}, c).second) << "group listed twice";
  });
  return g;
}

void add_to(Groups& g, const Groups& other, bool take_off) {
  for (const auto& [k, c] : other) {
    if (take_off) {
      if ((g[k] -= c) == 0) g.erase(k);
    } else {
      g[k] += c;
    }
  }
}

TEST(GroupTable, EventsWithManySlotsOnAYoungTable) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 rng(seed);
    GroupTable t(seed);
    Groups want;
    for (int e = 0; e < 3000; ++e) {
      const uint32_t ad = static_cast<uint32_t>(rng() % 50);
      std::vector<uint16_t> slots;
      // Sometimes every one of 1024 filters, else a few of them.
      const bool all = rng() % 100 == 0;
      for (uint32_t s = 1; s <= 1024; ++s)
        if (all || rng() % 300 == 0) slots.push_back(static_cast<uint16_t>(s));
      t.add_event(ad, slots);
      ++want[{ad, 0}];
      for (uint16_t s : slots) ++want[{ad, s}];
    }
    EXPECT_EQ(contents(t), want) << "seed " << seed;
    for (const auto& [k, c] : want) ASSERT_EQ(t.get(k.first, k.second), c);
    EXPECT_EQ(t.get(999, 3), 0u);
  }
}

TEST(GroupTable, RunningSumsTakeMinutesInAndOff) {
  std::mt19937_64 rng(7);
  std::vector<GroupTable> minutes;
  std::vector<Groups> want_minutes;
  for (int m = 0; m < 12; ++m) {
    GroupTable t(static_cast<uint64_t>(m));
    Groups w;
    const int n = 200 + static_cast<int>(rng() % 2000);
    for (int i = 0; i < n; ++i) {
      const uint32_t ad = static_cast<uint32_t>(rng() % (m % 3 == 0 ? 30 : 3000));
      const uint32_t slot = static_cast<uint32_t>(rng() % 5 == 0 ? rng() % 1025 : 0);
      const uint64_t c = 1 + rng() % 4;
      t.add(ad, slot, c);
      w[{ad, slot}] += c;
    }
    minutes.push_back(std::move(t));
    want_minutes.push_back(std::move(w));
  }
  // A 4-minute window sliding over the 12 minutes.
  GroupTable sums((uint64_t{1} << 63) | 4);
  Groups want;
  for (size_t e = 0; e < minutes.size(); ++e) {
    sums.merge(minutes[e], false);
    add_to(want, want_minutes[e], false);
    if (e >= 4) {
      sums.merge(minutes[e - 4], true);
      add_to(want, want_minutes[e - 4], true);
    }
    sums.compact_if_sparse();
    ASSERT_EQ(contents(sums), want) << "minute " << e;
    EXPECT_EQ(sums.live(), want.size());
  }
}

TEST(FingerprintSet, InsertsOnceAndGrows) {
  std::mt19937_64 rng(3);
  FingerprintSet set;
  std::set<std::pair<uint64_t, uint64_t>> want;
  std::vector<Hash128> seen;
  for (int i = 0; i < 50'000; ++i) {
    Hash128 h;
    if (!seen.empty() && rng() % 4 == 0) {
      h = seen[rng() % seen.size()];
    } else {
      h = Hash128{rng() | 1, rng()};
      seen.push_back(h);
    }
    EXPECT_EQ(set.insert(h), want.emplace(h.lo, h.hi).second);
  }
  EXPECT_EQ(set.size(), want.size());
  std::set<std::pair<uint64_t, uint64_t>> listed;
  set.for_each([&](const Hash128& h) { listed.emplace(h.lo, h.hi); });
  EXPECT_EQ(listed, want);
}

}  // namespace
}  // namespace clickagg
