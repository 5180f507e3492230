// Results of single input partitions (a streaming task's share of the ads), on SQLite and
// PostgreSQL alike: count shares of a minute accumulate, partial top-N lists merge into the
// exact global list, and per-partition progress counters add up to the pipeline's.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/store/store_backends.h"

namespace clickagg::store {
namespace {

using clickagg::testing::backend_name;
using clickagg::testing::BackendTest;

class PartitionResultsTest : public BackendTest {};
INSTANTIATE_TEST_SUITE_P(Backends, PartitionResultsTest, clickagg::testing::all_backends(), backend_name);

WindowResult share(int64_t minute, uint32_t part, bool correction, std::vector<NamedRow> rows) {
  WindowResult w = make_window(minute, std::move(rows), correction);
  w.partition = part;
  return w;
}

TopNList partial(int64_t minute, uint32_t window, uint16_t filter, uint32_t part, std::vector<NamedEntry> entries) {
  TopNList t = make_list(minute, window, filter, false, std::move(entries));
  t.partition = part;
  return t;
}

ResultBatch with_top_n(uint32_t n) {
  ResultBatch b;
  b.top_n = n;
  return b;
}

// Ranked by count descending, then ad_id in byte order (std::string compares bytes as
// unsigned char), cut at n.
std::vector<NamedEntry> top(std::map<std::string, uint64_t> counts, size_t n) {
  std::vector<NamedEntry> all;
  for (const auto& [ad, c] : counts)
    if (c > 0) all.push_back({ad, c});
  std::sort(all.begin(), all.end(), [](const NamedEntry& a, const NamedEntry& b) {
    return a.count != b.count ? a.count > b.count : a.ad_id < b.ad_id;
  });
  if (all.size() > n) all.resize(n);
  return all;
}

TEST_P(PartitionResultsTest, SharesOfAMinuteAccumulateAndACorrectionReplacesOnlyItsOwn) {
  auto store = writer();
  ResultBatch b = with_top_n(3);
  b.windows = {share(100, 0, false, {{"a", 0, 1}, {"b", 0, 2}, {"a", 4, 1}}), share(100, 1, false, {{"c", 0, 5}})};
  store->write(b);
  b.windows = {share(100, 2, false, {{"e", 0, 7}}), share(101, 1, false, {{"c", 0, 1}})};
  store->write(b);
  EXPECT_EQ(store->aggregated_count("a", 100, 101, 0), 1u);
  EXPECT_EQ(store->aggregated_count("a", 100, 101, 4), 1u);
  EXPECT_EQ(store->aggregated_count("b", 100, 101, 0), 2u);
  EXPECT_EQ(store->aggregated_count("c", 100, 102, 0), 6u);
  EXPECT_EQ(store->aggregated_count("e", 100, 101, 0), 7u);
  EXPECT_EQ(store->progress().last_closed_minute, 101);

  // Partition 0's correction: its counts grew and it gained a group; the others' rows stay.
  b.windows = {share(100, 0, true, {{"a", 0, 3}, {"b", 0, 2}, {"d", 0, 1}, {"a", 4, 1}})};
  store->write(b);
  b.windows.clear();
  const std::vector<std::pair<int64_t, std::vector<NamedRow>>> want = {
      {100, {{"a", 0, 3}, {"b", 0, 2}, {"c", 0, 5}, {"d", 0, 1}, {"e", 0, 7}, {"a", 4, 1}}},
      {101, {{"c", 0, 1}}}};
  auto rows = store->count_rows(100, 102);
  ASSERT_EQ(rows.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(rows[i].minute, want[i].first);
    EXPECT_EQ(named_rows(rows[i]), want[i].second) << "minute " << want[i].first;
  }
  const auto before = backend->rows("SELECT ad_id, minute, filter_id, count FROM counts ORDER BY 1, 2, 3");
  b.windows = {share(100, 0, true, {{"a", 0, 3}, {"b", 0, 2}, {"d", 0, 1}, {"a", 4, 1}})};
  store->write(b);
  EXPECT_EQ(backend->rows("SELECT ad_id, minute, filter_id, count FROM counts ORDER BY 1, 2, 3"), before)
      << "a replayed share changes nothing";

  // A result of every partition is the complete minute: it replaces all shares.
  b.windows = {make_window(100, {{"a", 0, 9}}, true)};
  store->write(b);
  EXPECT_EQ(store->aggregated_count("a", 100, 101, 0), 9u);
  EXPECT_EQ(store->aggregated_count("c", 100, 101, 0), 0u);
  EXPECT_EQ(store->aggregated_count("c", 101, 102, 0), 1u);
  EXPECT_EQ(store->top_by_sum(100, 100, 0, 10), (std::vector<NamedEntry>{{"a", 9}}));
}

TEST_P(PartitionResultsTest, MergedTopNEqualsTheGlobalTopNOfAllAds) {
  auto store = writer();
  auto reader_store = reader();
  // Byte order puts "B" < "Z" < "a" < "ab" < "b" < "é"; small counts make ties common.
  const std::vector<std::string> ads = {"B", "a", "ab", "b", "Z", "B ", "\xc3\xa9", "a\x01", "c", "cd",
                                        "d", "e",  "f",  "g", "h", "i",  "j",        "k",    "l", "m"};
  constexpr uint32_t kN = 5;
  std::mt19937 rng(20240611);
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t minute = 1000 + trial;
    const uint32_t parts = 3 + static_cast<uint32_t>(rng() % 2);
    const uint32_t window = 1 + static_cast<uint32_t>(rng() % 2) * 4;
    const uint16_t filter = static_cast<uint16_t>(rng() % 2);
    // Disjoint ad sets: each ad lives in one partition (some partitions may get few or none).
    std::map<std::string, uint32_t> home;
    std::vector<std::map<std::string, uint64_t>> counts(parts);
    for (const std::string& ad : ads) {
      if (rng() % 4 == 0) continue;  // not seen this minute
      home[ad] = static_cast<uint32_t>(rng() % parts);
      counts[home[ad]][ad] = 1 + rng() % 4;
    }
    auto global = [&] {
      std::map<std::string, uint64_t> all;
      for (const auto& c : counts) all.insert(c.begin(), c.end());
      return top(all, kN);
    };
    // Every partition's list, some in one batch, some alone, in shuffled order.
    std::vector<uint32_t> order(parts);
    for (uint32_t p = 0; p < parts; ++p) order[p] = p;
    std::shuffle(order.begin(), order.end(), rng);
    ResultBatch b = with_top_n(kN);
    for (uint32_t p : order) {
      b.topn.push_back(partial(minute, window, filter, p, top(counts[p], kN)));
      if (rng() % 2) {
        store->write(b);
        b.topn.clear();
      }
    }
    store->write(b);
    auto got = reader_store->topn_list(minute, window, filter);
    ASSERT_TRUE(got) << "trial " << trial;
    EXPECT_EQ(got->entries, global()) << "trial " << trial;
    EXPECT_EQ(got->top_n, kN);

    // One partition's later list (its ads' counts grew): the merge follows.
    const uint32_t p = static_cast<uint32_t>(rng() % parts);
    for (auto& [ad, c] : counts[p]) c += rng() % 3;
    b = with_top_n(kN);
    b.topn = {partial(minute, window, filter, p, top(counts[p], kN))};
    b.topn.back().correction = true;
    store->write(b);
    got = reader_store->topn_list(minute, window, filter);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->entries, global()) << "trial " << trial << " after partition " << p << " moved";
    // Replaying it changes nothing.
    store->write(b);
    EXPECT_EQ(reader_store->topn_list(minute, window, filter)->entries, global());
    // Other keys are untouched.
    EXPECT_FALSE(reader_store->topn_list(minute, window + 1, filter));
  }
  EXPECT_EQ(store->progress().last_closed_minute, 1039);
  EXPECT_TRUE(backend->rows("SELECT minute FROM topn_lists WHERE top_n <> 5").empty());
}

TEST_P(PartitionResultsTest, MergeBreaksTiesByAdIdBytesAndAnUnpartitionedListReplacesIt) {
  auto store = writer();
  ResultBatch b = with_top_n(3);
  b.topn = {partial(50, 1, 0, 0, {{"a", 4}, {"zz", 1}}), partial(50, 1, 0, 1, {{"B", 4}, {"y", 2}}),
            partial(50, 1, 0, 2, {{"ab", 4}}), partial(50, 1, 0, 3, {})};
  store->write(b);
  EXPECT_EQ(store->topn_list(50, 1, 0)->entries, (std::vector<NamedEntry>{{"B", 4}, {"a", 4}, {"ab", 4}}));
  EXPECT_EQ(backend->rows("SELECT rank, ad_id FROM topn WHERE minute = 50 ORDER BY rank"),
            (std::vector<std::string>{"1|B|", "2|a|", "3|ab|"}));
  // Partition 1's ads fell away: its empty list leaves the others' ads only.
  b.topn = {partial(50, 1, 0, 1, {})};
  store->write(b);
  EXPECT_EQ(store->topn_list(50, 1, 0)->entries, (std::vector<NamedEntry>{{"a", 4}, {"ab", 4}, {"zz", 1}}));
  // A list of every partition replaces the stored list as it is.
  b.topn = {make_list(50, 1, 0, true, {{"q", 1}})};
  store->write(b);
  EXPECT_EQ(store->topn_list(50, 1, 0)->entries, (std::vector<NamedEntry>{{"q", 1}}));
  EXPECT_EQ(store->topn_windows(50), (std::vector<uint32_t>{1}));
  // N unknown: the whole union.
  b = with_top_n(0);
  b.topn = {partial(51, 1, 0, 0, {{"a", 1}, {"b", 1}}), partial(51, 1, 0, 1, {{"c", 2}, {"d", 1}})};
  store->write(b);
  EXPECT_EQ(store->topn_list(51, 1, 0)->entries,
            (std::vector<NamedEntry>{{"c", 2}, {"a", 1}, {"b", 1}, {"d", 1}}));
}

Progress counters(uint64_t events, uint64_t counted, std::optional<int64_t> lag, std::optional<int64_t> closed) {
  Progress p;
  p.events = events;
  p.counted = counted;
  p.late_counted = counted / 4;
  p.duplicates = events - counted;
  p.dropped_late = 1;
  p.rejected = 2;
  p.windows_closed = events / 10;
  p.corrections = 3;
  p.consumer_lag = lag;
  p.last_closed_minute = closed;
  return p;
}

TEST_P(PartitionResultsTest, PartitionProgressAddsUp) {
  auto store = writer();
  ResultBatch b;
  b.partition_progress[0] = counters(100, 90, 7, 20);
  b.partition_progress[1] = counters(40, 40, std::nullopt, 22);
  store->write(b);
  // Hand-computed sums: events 140, counted 130, late_counted 22 + 10, duplicates 10 + 0,
  // dropped_late 2, rejected 4, windows_closed 10 + 4, corrections 6; lag only from partition 0.
  Progress want;
  want.events = 140;
  want.counted = 130;
  want.late_counted = 32;
  want.duplicates = 10;
  want.dropped_late = 2;
  want.rejected = 4;
  want.windows_closed = 14;
  want.corrections = 6;
  want.consumer_lag = 7;
  want.last_closed_minute = 22;
  EXPECT_EQ(store->progress(), want);
  EXPECT_EQ(reader()->progress(), want);

  const auto meta = backend->rows("SELECT key, value FROM meta ORDER BY 1");
  store->write(b);
  EXPECT_EQ(backend->rows("SELECT key, value FROM meta ORDER BY 1"), meta) << "resending changes nothing";

  // Partition 0 moves on (its newer counters replace its older ones); partition 2 appears
  // with a lag of its own.
  b.partition_progress.clear();
  b.partition_progress[0] = counters(120, 100, 1, 21);
  store->write(b);
  b.partition_progress.clear();
  b.partition_progress[2] = counters(10, 8, 4, 19);
  store->write(b);
  want.events = 120 + 40 + 10;
  want.counted = 100 + 40 + 8;
  want.late_counted = 25 + 10 + 2;
  want.duplicates = 20 + 0 + 2;
  want.dropped_late = 3;
  want.rejected = 6;
  want.windows_closed = 12 + 4 + 1;
  want.corrections = 9;
  want.consumer_lag = 1 + 4;
  want.last_closed_minute = 22;  // moves forward only
  EXPECT_EQ(store->progress(), want);
  EXPECT_EQ(backend->rows("SELECT count(*) FROM progress_parts WHERE part = 0"),
            (std::vector<std::string>{"9|"}));
}

TEST_P(PartitionResultsTest, UnpartitionedProgressIsWrittenAsBefore) {
  auto store = writer();
  ResultBatch b;
  b.progress = counters(10, 9, 2, 5);
  store->write(b);
  EXPECT_EQ(store->progress(), counters(10, 9, 2, 5));
  EXPECT_TRUE(backend->rows("SELECT part FROM progress_parts").empty());
  EXPECT_TRUE(backend->rows("SELECT part FROM topn_parts").empty());
}

}  // namespace
}  // namespace clickagg::store
