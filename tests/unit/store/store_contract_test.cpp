// The store contract, run against SQLite and PostgreSQL alike (the same results from both).
// PostgreSQL is at CLICKAGG_PG_URL (default postgresql://postgres@127.0.0.1:5432/test); the
// tests create a database of their own there and drop it at exit.
#include <gtest/gtest.h>

#include <climits>

#include "host/store/popular_ads.h"
#include "host/store/schema.h"
#include "tests/unit/store/store_backends.h"

namespace clickagg::store {
namespace {

using clickagg::testing::BackendTest;

class StoreContractTest : public BackendTest {};
INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest, clickagg::testing::all_backends(),
                         clickagg::testing::backend_name);

// A window as text: minute, correction, rows.
struct Win {
  int64_t minute;
  bool correction;
  std::vector<NamedRow> rows;
};

ResultBatch batch_of(const std::vector<Win>& windows, std::vector<TopNList> lists = {}) {
  ResultBatch b;
  for (const Win& w : windows) b.windows.push_back(make_window(w.minute, w.rows, w.correction));
  b.topn = std::move(lists);
  b.top_n = 3;
  return b;
}

TEST_P(StoreContractTest, CreatesTheCurrentSchemaOnce) {
  writer().reset();
  writer().reset();  // a second writer finds it current
  EXPECT_EQ(backend->schema_version(), kSchemaVersion);
  reader().reset();
}

TEST_P(StoreContractTest, ReaderNeedsTheSchemaAndRefusesANewerOne) {
  EXPECT_THROW(reader(), StoreError) << "a reader never creates the database or its schema";
  writer().reset();
  backend->set_schema_version(99);
  EXPECT_THROW(writer(), StoreError);
  EXPECT_THROW(reader(), StoreError);
}

TEST_P(StoreContractTest, ReplayingTheSameBatchChangesNothing) {
  auto store = writer();
  ResultBatch b = batch_of({{100, false, {{"ad1", 0, 5}, {"ad2", 0, 2}, {"ad1", 12, 4}}}, {101, false, {{"ad2", 0, 7}}}},
                           {make_list(101, 1, 0, false, {{"ad2", 7}})});
  Progress p;
  p.events = 20;
  p.duplicates = 3;
  p.last_closed_minute = 101;
  b.progress = p;
  store->write(b);
  auto state = [&] {
    std::vector<std::string> all;
    for (const char* sql : {"SELECT ad_id, minute, filter_id, count FROM counts ORDER BY 1, 2, 3",
                            "SELECT minute, \"window\", filter_id, rank, ad_id, count FROM topn ORDER BY 1, 2, 3, 4",
                            "SELECT minute, \"window\", filter_id, top_n FROM topn_lists ORDER BY 1, 2, 3",
                            "SELECT key, value FROM meta ORDER BY 1"})
      for (auto& row : backend->rows(sql)) all.push_back(row);
    return all;
  };
  const auto before = state();
  EXPECT_EQ(backend->rows("SELECT ad_id FROM counts").size(), 4u);
  store->write(b);
  store->write(b);
  EXPECT_EQ(state(), before);
  EXPECT_EQ(store->progress(), p);
}

TEST_P(StoreContractTest, CorrectionReplacesTheWholeMinute) {
  auto store = writer();
  store->write(batch_of({{100, false, {{"ad1", 0, 5}, {"ad2", 0, 2}}}, {101, false, {{"ad1", 0, 1}}}}));
  store->write(batch_of({{100, true, {{"ad1", 0, 6}, {"ad3", 0, 1}, {"ad4", 0, 0}}}}));
  EXPECT_EQ(store->aggregated_count("ad1", 100, 101, 0), 6u);
  EXPECT_EQ(store->aggregated_count("ad2", 100, 101, 0), 0u);  // gone: not in the new minute
  EXPECT_EQ(store->aggregated_count("ad3", 100, 101, 0), 1u);
  EXPECT_EQ(store->aggregated_count("ad1", 101, 102, 0), 1u);  // other minutes untouched
  EXPECT_EQ(backend->rows("SELECT ad_id FROM counts WHERE count = 0").size(), 0u) << "zero rows are not stored";
  // A correction does not move the last closed minute back or forward.
  EXPECT_EQ(store->progress().last_closed_minute, 101);
}

TEST_P(StoreContractTest, TopNListIsReplacedPerKeyAndKeepsItsN) {
  auto store = writer();
  store->write(batch_of({}, {make_list(100, 1, 0, false, {{"a", 3}, {"b", 2}, {"c", 1}}),
                             make_list(100, 5, 0, false, {{"z", 9}})}));
  store->write(batch_of({}, {make_list(100, 1, 0, true, {{"b", 4}})}));
  auto one = store->topn_list(100, 1, 0);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->entries, (std::vector<NamedEntry>{{"b", 4}}));
  EXPECT_EQ(one->top_n, 3u);
  auto five = store->topn_list(100, 5, 0);
  ASSERT_TRUE(five);
  EXPECT_EQ(five->entries, (std::vector<NamedEntry>{{"z", 9}}));
  EXPECT_FALSE(store->topn_list(100, 1, 7));
  store->write(batch_of({}, {make_list(102, 1, 7, false, {})}));
  auto empty = store->topn_list(102, 1, 7);
  ASSERT_TRUE(empty) << "an empty list exists";
  EXPECT_TRUE(empty->entries.empty());
  EXPECT_EQ(store->progress().last_closed_minute, 102);
}

TEST_P(StoreContractTest, AggregatedCountIsAHalfOpenRange) {
  auto store = writer();
  // ad1 filter 0: minute 10 -> 1, 11 -> 2, 12 -> 4, 13 -> 8; filter 5: minute 11 -> 16.
  store->write(batch_of({{10, false, {{"ad1", 0, 1}}}, {11, false, {{"ad1", 0, 2}, {"ad1", 5, 16}}},
                         {12, false, {{"ad1", 0, 4}, {"ad2", 0, 100}}}, {13, false, {{"ad1", 0, 8}}}}));
  EXPECT_EQ(store->aggregated_count("ad1", 10, 14, 0), 15u);
  EXPECT_EQ(store->aggregated_count("ad1", 10, 13, 0), 7u);
  EXPECT_EQ(store->aggregated_count("ad1", 11, 13, 0), 6u);
  EXPECT_EQ(store->aggregated_count("ad1", 12, 12, 0), 0u);  // empty range
  EXPECT_EQ(store->aggregated_count("ad1", 0, 1000, 5), 16u);
  EXPECT_EQ(store->aggregated_count("ad1", 12, 1000, 5), 0u);
  EXPECT_EQ(store->aggregated_count("nope", 0, 1000, 0), 0u);
  EXPECT_EQ(store->aggregated_count("ad1", 14, 10, 0), 0u);  // reversed range
}

TEST_P(StoreContractTest, TopBySumBreaksTiesByAdIdBytes) {
  auto store = writer();
  // Sums over 11..12: "B"=5, "a"=5, "B "=5, "\xc3\xa9"=5 (é, above every ASCII byte), c=4, d=1.
  store->write(batch_of({{10, false, {{"z", 0, 50}}},
                         {11, false, {{"B", 0, 2}, {"a", 0, 5}, {"c", 0, 4}, {"\xc3\xa9", 0, 5}}},
                         {12, false, {{"B", 0, 3}, {"B ", 0, 5}, {"d", 0, 1}, {"x", 9, 99}}}}));
  const std::vector<NamedEntry> want = {{"B", 5}, {"B ", 5}, {"a", 5}, {"\xc3\xa9", 5}, {"c", 4}, {"d", 1}};
  EXPECT_EQ(store->top_by_sum(11, 12, 0, 10), want);
  EXPECT_EQ(store->top_by_sum(11, 12, 0, 2), (std::vector<NamedEntry>{{"B", 5}, {"B ", 5}}));
  EXPECT_TRUE(store->top_by_sum(12, 11, 0, 10).empty());
  EXPECT_TRUE(store->top_by_sum(11, 12, 0, 0).empty());
  auto popular = popular_ads_at(*store, 12, 3, 2, 0);
  EXPECT_EQ(popular.entries, (std::vector<NamedEntry>{{"B", 5}, {"B ", 5}, {"a", 5}}));
}

TEST_P(StoreContractTest, ProgressCountersAndLastClosedMinute) {
  auto store = writer();
  EXPECT_FALSE(store->progress().last_closed_minute);
  store->write(batch_of({{50, false, {{"a", 0, 1}}}}));
  EXPECT_EQ(store->progress().last_closed_minute, 50);
  ResultBatch b;
  Progress p;
  p.last_closed_minute = 40;
  p.rejected = 9;
  p.events = static_cast<uint64_t>(INT64_MAX);
  b.progress = p;
  store->write(b);
  EXPECT_EQ(store->progress().last_closed_minute, 50);
  EXPECT_EQ(store->progress().rejected, 9u);
  EXPECT_EQ(store->progress().events, static_cast<uint64_t>(INT64_MAX));
  p.last_closed_minute = 60;
  b.progress = p;
  store->write(b);
  EXPECT_EQ(store->progress().last_closed_minute, 60);
}

TEST_P(StoreContractTest, FiltersAreReplacedAndDataSurvivesReopen) {
  {
    auto store = writer();
    store->set_filters({{12, "us"}, {14, "eu"}, {3, ""}});
    store->set_filters({{12, "us"}, {14, "eu"}});
    store->write(batch_of({{7, false, {{"ad1", 0, 3}}}}, {make_list(7, 1, 0, false, {{"ad1", 3}})}));
  }
  auto again = writer();
  EXPECT_EQ(again->filters(), (std::vector<FilterInfo>{{12, "us"}, {14, "eu"}}));
  EXPECT_EQ(again->aggregated_count("ad1", 7, 8, 0), 3u);
  EXPECT_EQ(again->progress().last_closed_minute, 7);
  EXPECT_EQ(reader()->filters(), again->filters());
  EXPECT_EQ(reader()->aggregated_count("ad1", 0, 100, 0), 3u);
}

TEST_P(StoreContractTest, ReaderSeesWritesAndCannotWrite) {
  auto w = writer();
  auto r = reader();
  EXPECT_EQ(r->aggregated_count("ad1", 0, 100, 0), 0u);
  w->write(batch_of({{7, false, {{"ad1", 0, 3}}}}));
  EXPECT_EQ(r->aggregated_count("ad1", 0, 100, 0), 3u);
  EXPECT_EQ(r->progress().last_closed_minute, 7);
  EXPECT_THROW(r->write(batch_of({{8, false, {{"ad1", 0, 1}}}})), StoreError);
  EXPECT_THROW(r->set_filters({}), StoreError);
}

TEST_P(StoreContractTest, FailedBatchWritesNothingAndTheStoreStaysUsable) {
  auto store = writer();
  ResultBatch b = batch_of({{1, false, {{"a", 0, 1}}}, {2, false, {{"b", 0, static_cast<uint64_t>(INT64_MAX) + 1}}}});
  EXPECT_THROW(store->write(b), StoreError);
  EXPECT_EQ(store->aggregated_count("a", 0, 10, 0), 0u);
  EXPECT_FALSE(store->progress().last_closed_minute);
  store->write(batch_of({{1, false, {{"a", 0, 1}}}}));
  EXPECT_EQ(store->aggregated_count("a", 0, 10, 0), 1u);
}

TEST_P(StoreContractTest, AdIdsKeepTheirExactBytes) {
  auto store = writer();
  // Quotes, backslashes, braces and spaces must survive the array literals PostgreSQL is fed.
  const std::vector<std::string> odd = {"a\"b", "c\\d", "{e}", " f ", "g,h", "NULL", "\xe2\x82\xac"};
  std::vector<NamedRow> rows;
  for (const auto& id : odd) rows.push_back(NamedRow{id, 0, 2});
  store->write(batch_of({{1, false, rows}}, {make_list(1, 1, 0, false, {{odd[0], 2}, {odd[1], 2}})}));
  for (const auto& id : odd) EXPECT_EQ(store->aggregated_count(id, 0, 10, 0), 2u) << id;
  EXPECT_EQ(store->topn_list(1, 1, 0)->entries, (std::vector<NamedEntry>{{odd[0], 2}, {odd[1], 2}}));
}

}  // namespace
}  // namespace clickagg::store
