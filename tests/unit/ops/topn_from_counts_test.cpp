#include "host/ops/topn_from_counts.h"

#include <gtest/gtest.h>

#include "tests/unit/ops/ops_test_support.h"

namespace clickagg::ops {
namespace {

TEST(TopNFromCounts, HandComputedWindows) {
  // Minute 10: a=3 b=1; minute 11: b=2 c=2 (filter 0); minute 12: nothing; filter 5 only in 11.
  MinuteRows counts{{10, {{"a", 0, 3}, {"b", 0, 1}}},
                    {11, {{"b", 0, 2}, {"c", 0, 2}, {"c", 5, 1}}}};
  ListRequest req;
  req.first_minute = 10;
  req.end_minute = 13;
  req.windows = {1, 2};
  req.filter_ids = {0, 5};
  req.top_n = 2;
  const std::vector<TopNList> lists = lists_from_counts(counts, req);
  ASSERT_EQ(lists.size(), 12u);  // 3 minutes x 2 windows x 2 filters, empty ones included
  auto find = [&](int64_t e, uint32_t w, uint16_t f) {
    for (const TopNList& l : lists)
      if (l.minute == e && l.window == w && l.filter_id == f) return named_entries(l);
    ADD_FAILURE() << "no list " << e << "/" << w << "/" << f;
    return std::vector<NamedEntry>{};
  };
  EXPECT_EQ(find(10, 1, 0), (std::vector<NamedEntry>{{"a", 3}, {"b", 1}}));
  EXPECT_EQ(find(11, 1, 0), (std::vector<NamedEntry>{{"b", 2}, {"c", 2}}));           // tie: byte order
  EXPECT_EQ(find(11, 2, 0), (std::vector<NamedEntry>{{"a", 3}, {"b", 3}}));           // c=2 cut at N=2
  EXPECT_EQ(find(12, 1, 0), (std::vector<NamedEntry>{}));
  EXPECT_EQ(find(12, 2, 0), (std::vector<NamedEntry>{{"b", 2}, {"c", 2}}));
  EXPECT_EQ(find(11, 2, 5), (std::vector<NamedEntry>{{"c", 1}}));
  EXPECT_EQ(find(10, 2, 5), (std::vector<NamedEntry>{}));
  EXPECT_EQ(lists.front().minute, 10);  // (minute, window, filter) order
  EXPECT_EQ(lists.back().minute, 12);
}

TEST(TopNFromCounts, OnlyWantedListsAndWindowsReachingBack) {
  MinuteRows counts{{1, {{"x", 0, 4}}}, {5, {{"y", 0, 1}}}};
  ListRequest req;
  req.first_minute = 5;
  req.end_minute = 7;
  req.windows = {1, 5};
  req.filter_ids = {0};
  req.top_n = 10;
  req.want = [](int64_t e, uint32_t w) { return e == 5 || w == 5; };
  const auto lists = lists_from_counts(counts, req);
  ASSERT_EQ(lists.size(), 3u);
  EXPECT_EQ(named_entries(lists[0]), (std::vector<NamedEntry>{{"y", 1}}));            // 5/1
  EXPECT_EQ(named_entries(lists[1]), (std::vector<NamedEntry>{{"x", 4}, {"y", 1}}));  // 5/5 reaches minute 1
  EXPECT_EQ(lists[2].minute, 6);
  EXPECT_EQ(named_entries(lists[2]), (std::vector<NamedEntry>{{"y", 1}}));            // 6/5: minute 1 left
}

TEST(TopNFromCounts, MatchesBruteForceOnRandomCounts) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    opstest::Rng rng(seed);
    const std::vector<std::string> ads = proptest::ad_pool();
    MinuteRows rows;
    opstest::Counts flat;
    for (int64_t m = 100; m < 130; ++m) {
      if (rng.chance(25)) continue;
      std::map<std::pair<uint16_t, std::string>, uint64_t> g;
      for (int k = 0; k < 12; ++k) g[{static_cast<uint16_t>(rng.pick(std::vector<int>{0, 3, 9})), rng.pick(ads)}] += rng.between(1, 4);
      for (const auto& [key, c] : g) {
        rows[m].push_back({key.second, key.first, c});
        flat[{m, key.first, key.second}] = c;
      }
    }
    ListRequest req;
    req.first_minute = 95 + static_cast<int64_t>(rng.below(20));
    req.end_minute = req.first_minute + static_cast<int64_t>(rng.below(30));
    req.windows = rng.pick(std::vector<std::vector<uint32_t>>{{1}, {1, 5}, {2, 7}, {1, 5, 60}});
    req.filter_ids = {0, 3, 9};
    req.top_n = static_cast<uint32_t>(rng.between(1, 8));
    for (const TopNList& l : lists_from_counts(rows, req))
      ASSERT_EQ(named_entries(l), opstest::brute_top(flat, l.minute, l.window, l.filter_id, req.top_n))
          << "seed " << seed << " list " << l.minute << "/" << l.window << "/" << l.filter_id;
  }
}

}  // namespace
}  // namespace clickagg::ops
