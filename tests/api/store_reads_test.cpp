// The store reads behind the series and status endpoints, on every backend: per-minute counts
// of one ad over a range, and the top-N window sizes stored for a minute. Hand-placed rows
// first, then seeded random rows against a brute-force oracle.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "host/common/time_util.h"
#include "host/store/aggregate_store.h"
#include "tests/unit/store/store_backends.h"

namespace clickagg::testing {
namespace {

using MinuteCount = store::AggregateStore::MinuteCount;

const int64_t kBase = *parse_minute("202101010000");

class StoreReadsTest : public BackendTest {};

TEST_P(StoreReadsTest, MinuteCountsListsOneAdsNonZeroMinutesInRangeAscending) {
  auto w = writer();
  store::ResultBatch b;
  // Written out of minute order; "ad1" and "ad10" share a prefix, filter 12 differs.
  b.windows.push_back(make_window(kBase + 30, {{"ad1", 0, 4}, {"ad10", 0, 100}}, false));
  b.windows.push_back(make_window(kBase + 2, {{"ad1", 0, 3}, {"ad1", 12, 2}, {"ad10", 0, 7}}, false));
  b.windows.push_back(make_window(kBase + 5, {{"ad1", 0, 0}, {"ad10", 0, 1}}, false));  // a zero is not stored
  b.windows.push_back(make_window(kBase + 9, {{"ad1", 0, 1}}, false));
  w->write(b);
  auto r = reader();
  EXPECT_EQ(r->minute_counts("ad1", kBase, kBase + 60, 0),
            (std::vector<MinuteCount>{{kBase + 2, 3}, {kBase + 9, 1}, {kBase + 30, 4}}));
  // [from, to): the first minute in, the last out.
  EXPECT_EQ(r->minute_counts("ad1", kBase + 2, kBase + 30, 0),
            (std::vector<MinuteCount>{{kBase + 2, 3}, {kBase + 9, 1}}));
  EXPECT_EQ(r->minute_counts("ad1", kBase, kBase + 60, 12), (std::vector<MinuteCount>{{kBase + 2, 2}}));
  EXPECT_EQ(r->minute_counts("ad10", kBase + 3, kBase + 31, 0),
            (std::vector<MinuteCount>{{kBase + 5, 1}, {kBase + 30, 100}}));
  EXPECT_TRUE(r->minute_counts("ad", kBase, kBase + 60, 0).empty());
  EXPECT_TRUE(r->minute_counts("ad1", kBase + 9, kBase + 9, 0).empty());
  EXPECT_TRUE(r->minute_counts("ad1", kBase + 30, kBase + 2, 0).empty());
  // A correction replaces its minute: the new count, and a dropped ad disappears.
  store::ResultBatch fix;
  fix.windows.push_back(make_window(kBase + 9, {{"ad10", 0, 2}}, true));
  fix.windows.push_back(make_window(kBase + 2, {{"ad1", 0, 8}}, true));
  w->write(fix);
  EXPECT_EQ(r->minute_counts("ad1", kBase, kBase + 60, 0),
            (std::vector<MinuteCount>{{kBase + 2, 8}, {kBase + 30, 4}}));
  EXPECT_TRUE(r->minute_counts("ad1", kBase, kBase + 60, 12).empty());
}

TEST_P(StoreReadsTest, TopnWindowsListsTheDistinctWindowsOfOneMinuteAscending) {
  auto w = writer();
  store::ResultBatch b;
  b.top_n = 10;
  b.topn.push_back(make_list(kBase + 9, 60, 0, false, {{"a", 5}}));
  b.topn.push_back(make_list(kBase + 9, 1, 12, false, {}));  // an empty list is still stored
  b.topn.push_back(make_list(kBase + 9, 5, 0, false, {{"a", 2}}));
  b.topn.push_back(make_list(kBase + 9, 1, 0, false, {{"a", 1}}));
  b.topn.push_back(make_list(kBase + 8, 15, 0, false, {{"a", 1}}));
  b.topn.push_back(make_list(kBase + 10, 1440, 0, false, {{"a", 1}}));
  w->write(b);
  auto r = reader();
  EXPECT_EQ(r->topn_windows(kBase + 9), (std::vector<uint32_t>{1, 5, 60}));
  EXPECT_EQ(r->topn_windows(kBase + 8), (std::vector<uint32_t>{15}));
  EXPECT_EQ(r->topn_windows(kBase + 10), (std::vector<uint32_t>{1440}));
  EXPECT_TRUE(r->topn_windows(kBase + 7).empty());
}

TEST_P(StoreReadsTest, MinuteCountsMatchesABruteForceOracle) {
  std::mt19937_64 rng(20210101);
  // (filter, ad, minute) -> count, the newest write of each minute winning, as in the store.
  std::map<int64_t, std::map<std::tuple<uint16_t, std::string, int64_t>, uint64_t>> by_minute;
  auto w = writer();
  for (int round = 0; round < 3; ++round) {
    store::ResultBatch b;
    for (int m = 0; m < 40; ++m) {
      if (rng() % 3 == 0) continue;
      const int64_t minute = kBase + static_cast<int64_t>(rng() % 120);
      std::vector<NamedRow> win_rows;
      auto& rows = by_minute[minute];
      rows.clear();
      std::set<std::pair<uint16_t, std::string>> seen;
      for (int i = 0; i < 12; ++i) {
        const std::string ad = "ad" + std::to_string(rng() % 8);
        const uint16_t filter = rng() % 4 == 0 ? 12 : 0;
        if (!seen.insert({filter, ad}).second) continue;
        const uint64_t count = rng() % 5;  // zeros included: never stored
        win_rows.push_back({ad, filter, count});
        if (count) rows[{filter, ad, minute}] = count;
      }
      // A minute may appear twice in one batch: the later result wins, as in the oracle.
      b.windows.push_back(make_window(minute, win_rows, round > 0));
    }
    w->write(b);
  }
  auto r = reader();
  for (int q = 0; q < 200; ++q) {
    const std::string ad = "ad" + std::to_string(rng() % 9);
    const uint16_t filter = rng() % 2 ? 12 : 0;
    const int64_t from = kBase - 5 + static_cast<int64_t>(rng() % 130);
    const int64_t to = from + static_cast<int64_t>(rng() % 60);
    std::vector<MinuteCount> expected;
    for (const auto& [minute, rows] : by_minute)
      if (minute >= from && minute < to)
        if (auto it = rows.find({filter, ad, minute}); it != rows.end())
          expected.push_back({minute, it->second});
    ASSERT_EQ(r->minute_counts(ad, from, to, filter), expected)
        << ad << " filter " << filter << " [" << from << ", " << to << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreReadsTest, ::testing::Values("sqlite", "postgresql"),
                         backend_name);

}  // namespace
}  // namespace clickagg::testing
