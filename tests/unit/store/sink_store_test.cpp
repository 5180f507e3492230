// What the sink needs from a store: producer sequence numbers, late events and rejects, all
// in the same transaction as the results, on every backend.
#include <gtest/gtest.h>

#include <climits>

#include "tests/unit/store/store_backends.h"

namespace clickagg::store {
namespace {

class SinkStoreTest : public clickagg::testing::BackendTest {};
INSTANTIATE_TEST_SUITE_P(Backends, SinkStoreTest, clickagg::testing::all_backends(),
                         clickagg::testing::backend_name);

ResultBatch seq_batch(std::vector<std::pair<std::string, uint64_t>> seqs) {
  ResultBatch b;
  b.producer_seqs = std::move(seqs);
  return b;
}

TEST_P(SinkStoreTest, CommittedSeqIsPerProducerAndOnlyMovesForward) {
  auto store = writer();
  EXPECT_EQ(store->committed_seq("agg-1"), 0u);
  EXPECT_FALSE(seq_batch({{"agg-1", 5}}).empty()) << "a batch of sequence numbers alone is written";
  store->write(seq_batch({{"agg-1", 5}, {"agg-2", 9}}));
  EXPECT_EQ(store->committed_seq("agg-1"), 5u);
  EXPECT_EQ(store->committed_seq("agg-2"), 9u);
  store->write(seq_batch({{"agg-1", 3}}));  // a stale value never moves it back
  EXPECT_EQ(store->committed_seq("agg-1"), 5u);
  store->write(seq_batch({{"agg-1", 6}}));
  EXPECT_EQ(store->committed_seq("agg-1"), 6u);
  store.reset();
  EXPECT_EQ(writer()->committed_seq("agg-1"), 6u) << "durable across reopen";
  EXPECT_EQ(reader()->committed_seq("agg-2"), 9u) << "readable by readers";
  EXPECT_EQ(reader()->committed_seq("nobody"), 0u);
}

TEST_P(SinkStoreTest, ReconcileStatusIsReplacedAndSurvivesProgressWrites) {
  auto store = writer();
  EXPECT_FALSE(store->last_reconcile().has_value()) << "no reconciliation ran yet";
  const ReconcileStatus first{1'700'000'000'000, 28'000'000, 28'001'440, 5000, 3};
  store->record_reconcile(first);
  EXPECT_EQ(store->last_reconcile(), first);
  // The sink rewrites every progress counter in each transaction; that must leave it alone.
  ResultBatch progress_only;
  progress_only.progress = Progress{};
  progress_only.progress->last_closed_minute = 28'000'100;
  progress_only.progress->events = 10;
  store->write(progress_only);
  EXPECT_EQ(reader()->last_reconcile(), first);
  EXPECT_EQ(reader()->progress().events, 10u);
  EXPECT_FALSE(reader()->progress().consumer_lag.has_value()) << "no source reported a lag";
  progress_only.progress->consumer_lag = 1234;
  store->write(progress_only);
  EXPECT_EQ(reader()->progress().consumer_lag, 1234);
  progress_only.progress->consumer_lag = 0;
  store->write(progress_only);
  EXPECT_EQ(reader()->progress().consumer_lag, 0) << "a lag is a level: it may go down";
  const ReconcileStatus second{1'700'000'100'000, 28'001'440, 28'001'500, 70, 0};
  store->record_reconcile(second);
  EXPECT_EQ(reader()->last_reconcile(), second) << "the newest outcome replaces the older";
}

TEST_P(SinkStoreTest, LateEventsAndRejectsAreUpsertedByPosition) {
  auto store = writer();
  ResultBatch b;
  b.late = {LateRecord{0, 17, "ad1", 1'000, 900'000}, LateRecord{3, 17, "ad2", 2'000, 900'000}};
  const std::string raw("bad\0\xff,record", 12);
  b.rejects = {RejectEntry{0, 18, "bad timestamp", raw}, RejectEntry{1, 4, "empty ad_id", ""}};
  store->write(b);
  const std::string late_sql =
      "SELECT kafka_partition, kafka_offset, ad_id, event_time_ms, watermark_ms FROM late_events ORDER BY 1, 2";
  const std::string reject_sql = "SELECT kafka_partition, kafka_offset, reason, length(record), " +
                                 backend->hex_of("record") + " FROM rejects ORDER BY 1, 2";
  const auto late = backend->rows(late_sql);
  const auto rejects = backend->rows(reject_sql);
  EXPECT_EQ(late, (std::vector<std::string>{"0|17|ad1|1000|900000|", "3|17|ad2|2000|900000|"}));
  EXPECT_EQ(rejects, (std::vector<std::string>{"0|18|bad timestamp|12|62616400ff2c7265636f7264|",
                                               "1|4|empty ad_id|0||"}));
  // A replay (the sink re-applying after a crash) rewrites the same rows.
  store->write(b);
  store->write(b);
  EXPECT_EQ(backend->rows(late_sql), late);
  EXPECT_EQ(backend->rows(reject_sql), rejects);
}

TEST_P(SinkStoreTest, SequenceNumbersCommitWithTheResultsOrNotAtAll) {
  auto store = writer();
  ResultBatch b;
  b.windows = {make_window(1, {{"a", 0, 1}}, false)};
  b.late = {LateRecord{0, 1, "a", 0, 0}};
  b.producer_seqs = {{"agg-1", 3}};
  b.windows.push_back(make_window(2, {{"b", 0, static_cast<uint64_t>(INT64_MAX) + 1}}, false));
  EXPECT_THROW(store->write(b), StoreError);
  EXPECT_EQ(store->committed_seq("agg-1"), 0u);
  EXPECT_EQ(store->aggregated_count("a", 0, 10, 0), 0u);
  EXPECT_TRUE(backend->rows("SELECT ad_id FROM late_events").empty());
  b.windows.pop_back();
  store->write(b);
  EXPECT_EQ(store->committed_seq("agg-1"), 3u);
  EXPECT_EQ(store->aggregated_count("a", 0, 10, 0), 1u);
  EXPECT_EQ(store->progress().last_closed_minute, 1);
}

}  // namespace
}  // namespace clickagg::store
