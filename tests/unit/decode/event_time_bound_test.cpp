// The bound on event time, against hand-computed limits: inclusive, off, no overflow at the
// end of the representable range, and decode_into rejecting without touching the batch.
#include "host/decode/event_time_bound.h"

#include <gtest/gtest.h>

#include "host/decode/decode_columns.h"

namespace clickagg {
namespace {

TEST(EventTimeBound, AcceptsUpToProcessingTimePlusTheBound) {
  const EventTimeBound b(1'000'000, 600'000);
  EXPECT_EQ(b.latest_ms(), 1'600'000);
  EXPECT_EQ(b.check(0), nullptr);
  EXPECT_EQ(b.check(1'600'000), nullptr);
  EXPECT_STREQ(b.check(1'600'001), kEventTimeAhead);
  EXPECT_STREQ(b.check(kMaxEventTimeMs), kEventTimeAhead);
}

TEST(EventTimeBound, OffAndNearTheEndOfTimeAcceptEverythingDecodable) {
  EXPECT_EQ(EventTimeBound().check(kMaxEventTimeMs), nullptr);
  EXPECT_EQ(EventTimeBound(5, std::nullopt).check(kMaxEventTimeMs), nullptr);
  // now + bound beyond the largest time: no overflow, the decoders' own limit holds.
  EXPECT_EQ(EventTimeBound(kMaxEventTimeMs - 10, 600'000).latest_ms(), kMaxEventTimeMs);
  EXPECT_EQ(EventTimeBound(0, INT64_MAX).latest_ms(), kMaxEventTimeMs);
}

TEST(EventTimeBound, DecodeIntoRejectsAFutureRecordAndLeavesTheBatchAsItWas) {
  // 2021-01-01 00:00:00 UTC
  const int64_t now = 1'609'459'200'000;
  const EventTimeBound b(now, 60'000);
  EventColumns batch;
  Arena arena;
  EXPECT_EQ(decode_into(Format::Log, "[AdClickEvent] a, 2021-01-01 00:01:00, u, 1.2.3.4, US", 1, batch, arena, b),
            nullptr);
  EXPECT_STREQ(decode_into(Format::Log, "[AdClickEvent] b, 2021-01-01 00:01:00.001, u, 1.2.3.4, US", 2, batch, arena, b),
               kEventTimeAhead);
  EXPECT_STREQ(decode_into(Format::Log, "[AdClickEvent] c, 9999-12-31 23:59:59, u, 1.2.3.4, US", 3, batch, arena, b),
               kEventTimeAhead);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.ad_id(0), "a");
  EXPECT_EQ(batch.position[0], 1u);
  // Malformed input keeps its own reason.
  EXPECT_STRNE(decode_into(Format::Log, "[AdClickEvent] d, 2021-13-01 00:00:00, u, 1.2.3.4, US", 4, batch, arena, b),
               kEventTimeAhead);
}

}  // namespace
}  // namespace clickagg
