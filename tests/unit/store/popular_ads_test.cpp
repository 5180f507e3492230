#include "host/store/popular_ads.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/store/store_backends.h"

namespace clickagg::store {
namespace {

using Entries = std::vector<NamedEntry>;

class PopularAdsTest : public clickagg::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (backend) store = writer();
  }
  void write(std::vector<WindowResult> windows, std::vector<TopNList> lists = {},
             uint32_t top_n = 3) {
    ResultBatch b;
    b.windows = std::move(windows);
    b.topn = std::move(lists);
    b.top_n = top_n;
    store->write(b);
  }

  std::unique_ptr<AggregateStore> store;
};
INSTANTIATE_TEST_SUITE_P(Backends, PopularAdsTest, clickagg::testing::all_backends(), clickagg::testing::backend_name);

TEST_P(PopularAdsTest, NothingBeforeTheFirstClosedMinute) {
  EXPECT_FALSE(popular_ads(*store, 10, 1, 0));
}

TEST_P(PopularAdsTest, FromCountsRanksBySumThenAdIdBytes) {
  // Window 2 over minutes 11..12: B=5, a=5, "B " = 5, c=4, d=1; minute 10 is outside.
  write({make_window(10, {{"z", 0, 50}}, false),
         make_window(11, {{"B", 0, 2}, {"a", 0, 5}, {"c", 0, 4}}, false),
         make_window(12, {{"B", 0, 3}, {"B ", 0, 5}, {"d", 0, 1}, {"x", 9, 99}}, false)});
  auto top = popular_ads(*store, 4, 2, 0);
  ASSERT_TRUE(top);
  EXPECT_FALSE(top->from_list);
  EXPECT_EQ(top->minute, 12);
  // Byte order: 'B' (0x42) < "B " < 'a' (0x61).
  EXPECT_EQ(top->entries, (Entries{{"B", 5}, {"B ", 5}, {"a", 5}, {"c", 4}}));
  EXPECT_EQ(popular_ads(*store, 10, 1, 9)->entries, (Entries{{"x", 99}}));
  EXPECT_EQ(popular_ads(*store, 10, 1, 0)->entries, (Entries{{"B ", 5}, {"B", 3}, {"d", 1}}));
  EXPECT_TRUE(popular_ads(*store, 10, 1, 4)->entries.empty());
}

TEST_P(PopularAdsTest, UsesTheLatestListWhenItHasEnoughEntries) {
  // The list deliberately differs from the counts so the source is visible.
  write({make_window(5, {{"a", 0, 1}, {"b", 0, 1}, {"c", 0, 1}, {"d", 0, 1}}, false)},
        {make_list(5, 1, 0, false, {{"l1", 9}, {"l2", 8}, {"l3", 7}})}, /*top_n=*/3);
  auto two = popular_ads(*store, 2, 1, 0);
  EXPECT_TRUE(two->from_list);
  EXPECT_EQ(two->entries, (Entries{{"l1", 9}, {"l2", 8}}));
  auto three = popular_ads(*store, 3, 1, 0);
  EXPECT_TRUE(three->from_list);
  // More than the list holds while the list was cut at N: computed from counts.
  auto four = popular_ads(*store, 4, 1, 0);
  EXPECT_FALSE(four->from_list);
  EXPECT_EQ(four->entries, (Entries{{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}}));
  // No list for that window size: computed.
  EXPECT_FALSE(popular_ads(*store, 2, 5, 0)->from_list);
}

TEST_P(PopularAdsTest, ShortCompleteListAnswersLargerCounts) {
  write({make_window(5, {{"a", 0, 1}}, false)}, {make_list(5, 1, 0, false, {{"only", 4}})},
        /*top_n=*/100);
  auto top = popular_ads(*store, 50, 1, 0);
  EXPECT_TRUE(top->from_list);
  EXPECT_EQ(top->entries, (Entries{{"only", 4}}));
}

TEST_P(PopularAdsTest, OnlyTheLatestClosedMinutesListIsUsed) {
  write({make_window(5, {{"a", 0, 2}}, false), make_window(6, {{"b", 0, 1}}, false)},
        {make_list(5, 1, 0, false, {{"old", 9}})}, 100);
  auto top = popular_ads(*store, 10, 1, 0);
  EXPECT_EQ(top->minute, 6);
  EXPECT_FALSE(top->from_list);
  EXPECT_EQ(top->entries, (Entries{{"b", 1}}));
  EXPECT_EQ(popular_ads(*store, 10, 2, 0)->entries, (Entries{{"a", 2}, {"b", 1}}));
}

TEST_P(PopularAdsTest, AtAGivenMinute) {
  write({make_window(5, {{"a", 0, 2}}, false)});
  EXPECT_EQ(popular_ads_at(*store, 5, 10, 1, 0).entries, (Entries{{"a", 2}}));
  EXPECT_TRUE(popular_ads_at(*store, 9, 10, 1, 0).entries.empty());
  EXPECT_EQ(popular_ads_at(*store, 9, 10, 5, 0).entries, (Entries{{"a", 2}}));
  EXPECT_TRUE(popular_ads_at(*store, 5, 0, 1, 0).entries.empty());
}

}  // namespace
}  // namespace clickagg::store
