// DeviceSlidingSum on its own: a window moved minute by minute, by the engines' shared rule
// (host/engine/window_move.h), with late counts logged into the minutes it holds, against
// sums recomputed from scratch on the host.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "host/engine/window_move.h"
#include "kernels/device_layout.h"
#include "kernels/device_sliding_sum.h"
#include "kernels/device_window_table.h"
#include "tests/gpu/device_fixture.h"

namespace clickagg::gputest {
namespace {

using dev::CountSlot;
using dev::count_key;
using Sums = std::map<unsigned long long, unsigned long long>;

class SlidingSum : public DeviceTest {
 protected:
  Sums read(const dev::DeviceSlidingSum& sum) {
    const dev::GroupsRef g = sum.groups();
    std::vector<unsigned long long> keys(g.n), counts(g.n);
    if (g.n > 0) {
      dev::sys::copy_async(keys.data(), g.keys, g.n * sizeof(unsigned long long), dev::sys::Copy::DeviceToHost, stream_);
      dev::sys::copy_async(counts.data(), g.counts, g.n * sizeof(unsigned long long), dev::sys::Copy::DeviceToHost,
                           stream_);
      dev::sys::sync(stream_);
    }
    Sums out;
    for (uint64_t i = 0; i < g.n; ++i) {
      EXPECT_TRUE(i == 0 || keys[i - 1] < keys[i]) << "sum not sorted by key, or a key twice, at " << i;
      EXPECT_NE(counts[i], 0u) << "a group of sum 0 kept";
      out[keys[i]] = counts[i];
    }
    return out;
  }
  // What the chunk pipeline does for a chunk's groups of a minute: add them to the table and,
  // where the minute is watched, to its log.
  void add(dev::DeviceWindowTable& t, int64_t minute, const std::vector<CountSlot>& items) {
    t.insert_counts(minute, items);
    if (!t.watched(minute)) return;
    CountSlot* at = t.reserve_log(minute, items.size());
    dev::sys::copy_async(at, items.data(), items.size() * sizeof(CountSlot), dev::sys::Copy::HostToDevice, stream_);
    dev::sys::sync(stream_);
    t.note_log(minute, items.size());
  }
};

TEST_F(SlidingSum, HeaderExample) {
  dev::DeviceWindowTable t(stream_, 16, error_.data());
  dev::DeviceSlidingSum sum(stream_, error_.data());
  t.insert_counts(10, std::vector<CountSlot>{{count_key(0, 1), 2}, {count_key(1, 1), 1}});
  t.insert_counts(11, std::vector<CountSlot>{{count_key(0, 1), 3}, {count_key(0, 2), 4}});
  const std::vector<int64_t> m10{10}, m11{11}, none;
  sum.move(t, m10, none, none);
  EXPECT_EQ(read(sum), (Sums{{count_key(0, 1), 2}, {count_key(1, 1), 1}}));
  sum.move(t, m11, none, m10);
  EXPECT_EQ(read(sum), (Sums{{count_key(0, 1), 5}, {count_key(0, 2), 4}, {count_key(1, 1), 1}}));
  // Minute 10 leaves: (1, 1) reaches 0 and goes.
  sum.move(t, none, m10, std::vector<int64_t>{10, 11});
  EXPECT_EQ(read(sum), (Sums{{count_key(0, 1), 3}, {count_key(0, 2), 4}}));
  sum.move(t, none, m11, m11);
  EXPECT_EQ(sum.size(), 0u);
}

// Random minutes, a window of M moved from minute to minute (sometimes skipping ahead, which
// restarts it), late counts added to minutes it holds between moves: the sum equals the
// window's total recomputed from the oracle after every move.
TEST_F(SlidingSum, FollowsTheWindowThroughLateCounts) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::mt19937_64 rng(seed);
    dev::DeviceWindowTable t(stream_, 16, error_.data());
    dev::DeviceSlidingSum sum(stream_, error_.data());
    std::map<int64_t, Sums> oracle;  // minute -> key -> count
    const uint32_t window = 2 + static_cast<uint32_t>(seed % 4) * 3;
    const uint32_t ads = seed % 2 ? 50 : 4000;
    auto random_items = [&](size_t n) {
      std::vector<CountSlot> items;
      std::set<unsigned long long> used;  // one entry per key, as a chunk's groups are
      while (items.size() < n) {
        const unsigned long long k = count_key(static_cast<uint32_t>(rng() % 3), static_cast<uint32_t>(rng() % ads));
        if (used.insert(k).second) items.push_back({k, 1 + rng() % 5});
      }
      return items;
    };
    std::set<int64_t> held;
    int64_t e = 1000;
    for (int step = 0; step < 40; ++step) {
      // Minute e gets its counts (some minutes none); late counts land in minutes held.
      if (rng() % 5 != 0) {
        const std::vector<CountSlot> items = random_items(1 + rng() % std::min<uint32_t>(ads, 300));
        add(t, e, items);
        for (const CountSlot& c : items) oracle[e][c.key] += c.count;
      }
      for (int64_t m : held) {
        if (rng() % 2 != 0) continue;
        const std::vector<CountSlot> items = random_items(1 + rng() % 20);
        add(t, m, items);
        for (const CountSlot& c : items) oracle[m][c.key] += c.count;
      }
      const int64_t lo = e - window + 1;
      std::vector<int64_t> present;
      for (int64_t m : t.count_minutes())
        if (m >= lo && m <= e) present.push_back(m);
      const WindowMove mv = plan_window_move(held, present, lo, e);
      std::vector<int64_t> logged;
      if (mv.restart) sum.clear();
      else logged.assign(held.begin(), held.end());
      sum.move(t, mv.add, mv.drop, logged);
      apply_window_move(mv, held);
      t.clear_logs();
      t.watch_counts(held);

      Sums want;
      for (const auto& [m, sums] : oracle)
        if (m >= lo && m <= e)
          for (const auto& [k, c] : sums) want[k] += c;
      ASSERT_EQ(read(sum), want) << "seed " << seed << ", minute " << e;
      e += rng() % 7 == 0 ? window + 1 : 1;  // now and then past the whole window
    }
  }
}

TEST_F(SlidingSum, TakingOffAMinuteItDoesNotHoldIsAnError) {
  dev::DeviceWindowTable t(stream_, 16, error_.data());
  dev::DeviceSlidingSum sum(stream_, error_.data());
  t.insert_counts(5, std::vector<CountSlot>{{count_key(0, 3), 2}});
  const std::vector<int64_t> m5{5}, none;
  EXPECT_THROW(sum.move(t, none, m5, none), std::runtime_error);
  dev::sys::fill(error_.data(), 0, sizeof(unsigned));  // the error was the point
}

}  // namespace
}  // namespace clickagg::gputest
