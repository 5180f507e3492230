// The CPU backend's tables against std::map / std::set oracles: random operations with seeds,
// slots up to 1024 (as many filters as a configuration may have) on young tables, and sliding
// sums taking minutes in and off.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory_resource>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "host/engine/flat_tables.h"
#include "host/engine/sliding_sum.h"

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

// A 4-minute window sliding over 12 minutes of random groups, with late +1s into held minutes
// and windows that jump: every read equals the sum of its minutes.
TEST(SlidingSum, EqualsTheSumOfItsMinutes) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<GroupTable> minutes;
    for (int m = 0; m < 12; ++m) {
      GroupTable t(static_cast<uint64_t>(m));
      const int n = 200 + static_cast<int>(rng() % 2000);
      for (int i = 0; i < n; ++i) {
        const uint32_t ad = static_cast<uint32_t>(rng() % (m % 3 == 0 ? 30 : 300'000));
        const uint32_t slot = static_cast<uint32_t>(rng() % 5 == 0 ? rng() % 1025 : 0);
        t.add(ad, slot, 1 + rng() % 4);
      }
      minutes.push_back(std::move(t));
    }
    SlidingSum sum;
    std::set<size_t> held;
    SlidingSum::Run enter, leave, scratch;
    auto run = [&](const std::vector<size_t>& ms, SlidingSum::Run& out) {
      std::vector<const GroupTable*> ts;
      for (size_t m : ms) ts.push_back(&minutes[m]);
      SlidingSum::sorted_run(ts, out, scratch);
    };
    size_t e = 0;
    while (e < minutes.size()) {
      // Late events into held minutes: into the minute and into the sum.
      for (size_t m : held) {
        for (int k = 0; k < 3; ++k) {
          const uint32_t ad = static_cast<uint32_t>(rng() % 40);
          const std::vector<uint16_t> slots{static_cast<uint16_t>(1 + rng() % 1024)};
          minutes[m].add_event(ad, slots);
          sum.add_late(ad, slots);
        }
      }
      std::vector<size_t> add, drop;
      const size_t lo = e >= 3 ? e - 3 : 0;
      for (size_t m : held)
        if (m < lo) drop.push_back(m);
      for (size_t m = lo; m <= e; ++m)
        if (!held.count(m)) add.push_back(m);
      run(add, enter);
      run(drop, leave);
      // The move hands over every group of the new sum, in key order one way or the other.
      Groups visited;
      std::vector<uint64_t> visit_order;
      sum.move(enter, leave, [&](uint32_t ad, uint32_t slot, uint64_t c) {
        EXPECT_TRUE(visited.emplace(std::pair{ad, slot}, c).second) << "group visited twice";
        visit_order.push_back(SlidingSum::group_key(ad, slot));
      });
      EXPECT_TRUE(std::is_sorted(visit_order.begin(), visit_order.end()) ||
                  std::is_sorted(visit_order.rbegin(), visit_order.rend()));
      for (size_t m : drop) held.erase(m);
      held.insert(add.begin(), add.end());

      Groups want;
      for (size_t m : held) add_to(want, contents(minutes[m]), false);
      ASSERT_EQ(visited, want) << "seed " << seed << ", minute " << e;
      Groups got;
      uint64_t last = 0;
      bool first = true;
      sum.for_each([&](uint32_t ad, uint32_t slot, uint64_t c) {
        const uint64_t key = SlidingSum::group_key(ad, slot);
        EXPECT_TRUE(first || key > last) << "not in key order";
        first = false;
        last = key;
        got[{ad, slot}] = c;
      });
      ASSERT_EQ(got, want) << "seed " << seed << ", minute " << e;
      e += 1 + rng() % 3;  // sometimes the window jumps
    }
    // Taking off what it does not hold is refused.
    const std::vector<SlidingSum::Entry> absent{{SlidingSum::group_key(999'999, 5), 1}};
    EXPECT_THROW(sum.move({}, absent), std::logic_error);
    EXPECT_EQ(sum.size(), 0u);  // a refused move leaves nothing half-merged behind
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

TEST(TableMemory, GrowsByHalfAgainAndReusesWhatATableGaveBack) {
  // reserve_grown: a little more room costs a new block only once in a while.
  SlidingSum::Run v;
  reserve_grown(v, 1000);
  EXPECT_EQ(v.capacity(), 1000u);
  reserve_grown(v, 1001);
  EXPECT_EQ(v.capacity(), 1500u);
  reserve_grown(v, 1400);
  EXPECT_EQ(v.capacity(), 1500u);
  reserve_grown(v, 4000);
  EXPECT_EQ(v.capacity(), 4000u);

  // A mapped block given back is the next one of its size, zeroed again for a table.
  const size_t big = size_t(38) << 20;  // a size no other table of these tests gives back
  auto* p = static_cast<unsigned char*>(table_alloc(big));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (2 << 20), 0u);
  p[0] = p[big - 1] = 7;
  table_free(p, big);
  auto* q = static_cast<unsigned char*>(table_alloc(big));
  EXPECT_EQ(q, p);
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[big - 1], 0);
  table_free(q, big);

  // The same memory as a memory_resource: small blocks aligned as asked, large ones mapped.
  std::pmr::memory_resource* r = table_memory_resource();
  void* small = r->allocate(1000, 64);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small) % 64, 0u);
  r->deallocate(small, 1000, 64);
  void* large = r->allocate(big, 64);
  EXPECT_EQ(large, p);  // the block the table gave back
  r->deallocate(large, big, 64);
}

}  // namespace
}  // namespace clickagg
