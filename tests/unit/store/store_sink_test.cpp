#include "host/store/store_sink.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "host/store/store_pool.h"
#include "tests/unit/store/store_backends.h"

namespace clickagg::store {
namespace {

// Records batches; fails on demand to check that a failed flush keeps its results.
class RecordingStore final : public AggregateStore {
 public:
  void write(const ResultBatch& b) override {
    if (fail_next) {
      fail_next = false;
      throw StoreError("disk full");
    }
    batches.push_back(b);
  }
  void set_filters(const std::vector<FilterInfo>&) override {}
  uint64_t aggregated_count(std::string_view, int64_t, int64_t, uint16_t) override { return 0; }
  std::optional<StoredList> topn_list(int64_t, uint32_t, uint16_t) override { return {}; }
  std::vector<NamedEntry> top_by_sum(int64_t, int64_t, uint16_t, uint32_t) override { return {}; }
  Progress progress() override { return {}; }
  void record_reconcile(const ReconcileStatus&) override {}
  std::optional<ReconcileStatus> last_reconcile() override { return {}; }
  std::vector<FilterInfo> filters() override { return {}; }

  std::vector<ResultBatch> batches;
  bool fail_next = false;
};

TEST(StoreSinkTest, BuffersUntilFlushAndWritesOneBatch) {
  RecordingStore store;
  StoreSink sink(store, 100);
  sink.on_window(make_window(2, {{"a", 0, 1}}, false));
  sink.on_window(make_window(1, {{"b", 0, 1}}, false));
  sink.on_topn(make_list(2, 1, 0, false, {{"a", 1}}));
  sink.on_late(LateRecord{.ad_id = "c", .t_ms = 5});
  EXPECT_TRUE(store.batches.empty());
  EXPECT_EQ(sink.pending(), 4u);
  sink.flush();
  ASSERT_EQ(store.batches.size(), 1u);
  const ResultBatch& b = store.batches[0];
  ASSERT_EQ(b.windows.size(), 2u);
  EXPECT_EQ(b.windows[0].minute, 1);  // ordered by minute
  EXPECT_EQ(b.topn.size(), 1u);
  EXPECT_EQ(b.top_n, 100u);
  EXPECT_EQ(sink.late_records(), 1u);
  ASSERT_EQ(b.late.size(), 1u);
  EXPECT_EQ(b.late[0].ad_id, "c");
  EXPECT_EQ(sink.pending(), 0u);
  sink.flush();  // nothing pending: no empty transaction
  EXPECT_EQ(store.batches.size(), 1u);
}

TEST(StoreSinkTest, NewerResultSupersedesButKeepsTheClose) {
  RecordingStore store;
  StoreSink sink(store, 100);
  sink.on_window(make_window(1, {{"a", 0, 1}}, false));
  sink.on_window(make_window(1, {{"a", 0, 2}}, true));
  sink.on_topn(make_list(1, 1, 0, false, {{"a", 1}}));
  sink.on_topn(make_list(1, 1, 0, true, {{"a", 2}}));
  sink.flush();
  const ResultBatch& b = store.batches.at(0);
  ASSERT_EQ(b.windows.size(), 1u);
  EXPECT_EQ(b.windows[0].rows[0].count, 2u);
  EXPECT_FALSE(b.windows[0].correction);  // the minute still closes with this batch
  ASSERT_EQ(b.topn.size(), 1u);
  EXPECT_EQ(b.topn[0].entries[0].count, 2u);
  EXPECT_FALSE(b.topn[0].correction);
}

TEST(StoreSinkTest, FailedFlushKeepsTheBatchForRetry) {
  RecordingStore store;
  StoreSink sink(store, 100);
  sink.on_window(make_window(1, {{"a", 0, 1}}, false));
  sink.on_late(LateRecord{.position = 7, .ad_id = "x"});
  sink.add_reject(RejectEntry{0, 9, "bad timestamp", "[AdClickEvent] junk"});
  Progress p;
  p.events = 4;
  sink.set_progress(p);
  store.fail_next = true;
  EXPECT_THROW(sink.flush(), StoreError);
  EXPECT_EQ(sink.pending(), 3u);
  sink.on_window(make_window(2, {{"b", 0, 1}}, false));
  sink.on_late(LateRecord{.position = 8, .ad_id = "y"});
  sink.flush();
  ASSERT_EQ(store.batches.size(), 1u);
  EXPECT_EQ(store.batches[0].windows.size(), 2u);
  ASSERT_EQ(store.batches[0].late.size(), 2u);
  EXPECT_EQ(store.batches[0].late[0].position, 7u);  // arrival order kept across the retry
  ASSERT_EQ(store.batches[0].rejects.size(), 1u);
  EXPECT_EQ(store.batches[0].rejects[0].offset, 9u);
  ASSERT_TRUE(store.batches[0].progress);
  EXPECT_EQ(store.batches[0].progress->events, 4u);
}

class StoreSinkEndToEndTest : public clickagg::testing::BackendTest {};
INSTANTIATE_TEST_SUITE_P(Backends, StoreSinkEndToEndTest, clickagg::testing::all_backends(),
                         clickagg::testing::backend_name);

TEST_P(StoreSinkEndToEndTest, WritesThroughTheStoreAndReadsThroughAReaderPool) {
  auto store = writer();
  StoreSink sink(*store, 2);
  sink.on_window(make_window(30, {{"a", 0, 3}, {"b", 0, 1}}, false));
  sink.on_topn(make_list(30, 1, 0, false, {{"a", 3}, {"b", 1}}));
  sink.flush();
  StorePool pool([&] { return reader(); });
  {
    auto r1 = pool.acquire();
    auto r2 = pool.acquire();  // two at once: two connections
    EXPECT_EQ(r1->aggregated_count("a", 30, 31, 0), 3u);
    EXPECT_EQ(r2->progress().last_closed_minute, 30);
  }
  auto again = pool.acquire();
  EXPECT_EQ(again->aggregated_count("b", 30, 31, 0), 1u);
}

}  // namespace
}  // namespace clickagg::store
