// A sink round with one producer per input partition: each sends its share of the same
// minute, its partial top-N list and its own progress; the round keeps all of them and the
// store shows the combined minute, the merged list and the summed counters.
#include <gtest/gtest.h>

#include "host/sink/sequencer.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::sink {
namespace {

emit::Body window_share(int64_t minute, uint32_t part, bool correction, std::vector<NamedRow> rows) {
  WindowResult w = make_window(minute, std::move(rows), correction);
  w.partition = part;
  return w;
}

emit::Body list_share(int64_t minute, uint32_t part, std::vector<NamedEntry> entries) {
  TopNList t = make_list(minute, 1, 0, false, std::move(entries));
  t.partition = part;
  return t;
}

emit::Body progress_of(uint32_t part, uint64_t events, int64_t lag, int64_t watermark_ms) {
  emit::ProgressRecord p{events, events, 0, 0, 0, 0, 1, 0, lag, watermark_ms};
  p.partition = part;
  return p;
}

TEST(PartitionRound, TwoProducersShareOfTheSameMinuteBothReachTheStore) {
  Sequencer s([](const std::string&) { return 0u; });
  s.add({"grp/clicks/0", 1, window_share(5, 0, false, {{"a", 0, 2}, {"b", 0, 1}})});
  s.add({"grp/clicks/1", 1, window_share(5, 1, false, {{"c", 0, 4}})});
  s.add({"grp/clicks/0", 2, list_share(5, 0, {{"a", 2}, {"b", 1}})});
  s.add({"grp/clicks/1", 2, list_share(5, 1, {{"c", 4}})});
  s.add({"grp/clicks/0", 3, progress_of(0, 3, 10, 60'000 * 6)});
  s.add({"grp/clicks/1", 3, progress_of(1, 4, 5, 60'000 * 6 + 1)});
  // Partition 0's correction in the same round supersedes its original only.
  s.add({"grp/clicks/0", 4, window_share(5, 0, true, {{"a", 0, 3}, {"b", 0, 1}})});
  s.add({"grp/clicks/0", 5, progress_of(0, 4, 9, 60'000 * 6 + 2)});
  Round r = s.plan(2);
  ASSERT_EQ(r.batch.windows.size(), 2u);
  EXPECT_EQ(r.batch.windows[0].partition, std::optional<uint32_t>(0));
  EXPECT_FALSE(r.batch.windows[0].correction) << "the superseded original still closed the minute";
  EXPECT_EQ(named_rows(r.batch.windows[0]), (std::vector<NamedRow>{{"a", 0, 3}, {"b", 0, 1}}));
  EXPECT_EQ(r.batch.windows[1].partition, std::optional<uint32_t>(1));
  EXPECT_EQ(r.batch.topn.size(), 2u);
  EXPECT_FALSE(r.batch.progress) << "no whole-pipeline progress was sent";
  ASSERT_EQ(r.batch.partition_progress.size(), 2u);
  EXPECT_EQ(r.batch.partition_progress.at(0).events, 4u) << "the last of partition 0";
  EXPECT_EQ(r.batch.partition_progress.at(1).events, 4u);

  clickagg::testing::TempDir dir;
  auto store = store::open_store(dir.file("agg.db"), store::OpenMode::Writer);
  store->write(r.batch);
  s.commit(r);
  EXPECT_EQ(store->aggregated_count("a", 5, 6, 0), 3u);
  EXPECT_EQ(store->aggregated_count("c", 5, 6, 0), 4u);
  EXPECT_EQ(store->topn_list(5, 1, 0)->entries, (std::vector<NamedEntry>{{"c", 4}, {"a", 2}}));
  const store::Progress p = store->progress();
  EXPECT_EQ(p.events, 8u);
  EXPECT_EQ(p.windows_closed, 2u);
  EXPECT_EQ(p.consumer_lag, 9 + 5);
  EXPECT_EQ(p.last_closed_minute, 5);
  EXPECT_EQ(store->committed_seq("grp/clicks/0"), 5u);
  EXPECT_EQ(store->committed_seq("grp/clicks/1"), 3u);
}

TEST(PartitionRound, ResultsOfEveryPartitionKeepOneEntryPerMinute) {
  Sequencer s([](const std::string&) { return 0u; });
  s.add({"agg", 1, make_window(5, {{"a", 0, 1}}, false)});
  s.add({"agg", 2, make_window(5, {{"a", 0, 2}}, true)});
  s.add({"agg", 3, emit::ProgressRecord{1, 1, 0, 0, 0, 0, 0, 0, std::nullopt, std::nullopt}});
  Round r = s.plan(2);
  ASSERT_EQ(r.batch.windows.size(), 1u);
  EXPECT_FALSE(r.batch.windows[0].partition);
  EXPECT_EQ(named_rows(r.batch.windows[0]), (std::vector<NamedRow>{{"a", 0, 2}}));
  EXPECT_TRUE(r.batch.progress);
  EXPECT_TRUE(r.batch.partition_progress.empty());
}

}  // namespace
}  // namespace clickagg::sink
