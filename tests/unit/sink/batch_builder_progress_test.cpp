// Progress envelopes in a sink round: the last one of the round is what the transaction
// records, with the last closed minute derived from the aggregator's watermark.
#include <gtest/gtest.h>

#include "host/sink/batch_builder.h"

namespace clickagg::sink {
namespace {

TEST(BatchBuilderProgress, TheLastProgressOfTheRoundIsWritten) {
  BatchBuilder b;
  EXPECT_TRUE(b.empty());
  b.add(emit::ProgressRecord{10, 9, 0, 1, 0, 2, 0, 0, 500, 60'000 * 100 + 15'000});
  b.add(make_window(99, {{"ad", 0, 3}}, false));
  b.add(emit::ProgressRecord{20, 17, 1, 2, 1, 3, 4, 1, 7, 60'000 * 101});
  EXPECT_FALSE(b.empty());
  store::ResultBatch batch;
  b.move_into(batch);
  EXPECT_TRUE(b.empty());
  ASSERT_TRUE(batch.progress);
  store::Progress want;
  want.events = 20;
  want.counted = 17;
  want.late_counted = 1;
  want.duplicates = 2;
  want.dropped_late = 1;
  want.rejected = 3;
  want.windows_closed = 4;
  want.corrections = 1;
  want.consumer_lag = 7;
  want.last_closed_minute = 100;  // watermark at the start of minute 101: minute 100 is closed
  EXPECT_EQ(*batch.progress, want);
  EXPECT_EQ(batch.windows.size(), 1u);

  store::ResultBatch next;
  b.move_into(next);
  EXPECT_FALSE(next.progress) << "a round without progress writes none";
}

TEST(BatchBuilderProgress, WatermarkToLastClosedMinute) {
  emit::ProgressRecord p;
  EXPECT_FALSE(to_store_progress(p).last_closed_minute) << "no watermark: nothing closed";
  EXPECT_FALSE(to_store_progress(p).consumer_lag);
  p.watermark_ms = 60'000 * 5 - 1;  // just before the end of minute 4
  EXPECT_EQ(to_store_progress(p).last_closed_minute, 3);
  p.watermark_ms = 60'000 * 5;
  EXPECT_EQ(to_store_progress(p).last_closed_minute, 4);
  p.watermark_ms = -1;  // before the epoch: minute -1 is open
  EXPECT_EQ(to_store_progress(p).last_closed_minute, -2);
}

}  // namespace
}  // namespace clickagg::sink
