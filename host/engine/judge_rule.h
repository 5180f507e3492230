// How one event is judged against the watermark, written once for the host driver
// (engine_driver.cpp) and the device judge (kernels/device_judge.h).
//
// Within one process() call the watermark just before event i is
//   max(w0, min(others, partition_watermark(max(start_max, t[0..i-1]))))
// where w0 is the global watermark when the call starts, `others` the smallest watermark of
// the other active partitions at the call's processing time, and start_max the partition's
// largest event time before the call. Every term only grows along the batch, so a batch is
// judged from an exclusive prefix maximum of its event times: in parallel ranges on the host,
// a device-wide scan on the device.
#pragma once
#include <cstdint>

#include "host/common/hd.h"
#include "host/common/time_util.h"

namespace clickagg {

enum class Verdict : uint8_t { Open = 0, ClosedLate = 1, DroppedLate = 2 };

// A partition's watermark implied by its largest event time.
CLICKAGG_HD int64_t partition_watermark(int64_t max_t, int64_t delay_ms) {
  return max_t == kNoTime ? kNoTime : max_t - delay_ms;
}

// How an event of `minute` is treated under watermark `w` (the watermark just before it):
// open until its window ends, counted as a correction until the end plus the allowed
// lateness, dropped from then on.
CLICKAGG_HD Verdict verdict_of(int64_t minute, int64_t w, int64_t lateness_ms) {
  if (w == kNoTime) return Verdict::Open;
  const int64_t end = window_end_ms(minute);
  if (w >= end + lateness_ms) return Verdict::DroppedLate;
  if (w >= end) return Verdict::ClosedLate;
  return Verdict::Open;
}

// Everything judging one call's events needs besides their times.
struct JudgeRule {
  int64_t w0 = kNoTime;          // the global watermark when the call starts
  int64_t others = kEndOfTime;   // the other active partitions' smallest watermark
  int64_t start_max = kNoTime;   // the partition's largest event time before the call
  int64_t delay_ms = 0;
  int64_t lateness_ms = 0;
};

// The watermark just before an event whose partition has seen at most `prefix_max`.
CLICKAGG_HD int64_t watermark_before(const JudgeRule& r, int64_t prefix_max) {
  const int64_t own = partition_watermark(prefix_max, r.delay_ms);
  const int64_t bounded = own < r.others ? own : r.others;
  return bounded > r.w0 ? bounded : r.w0;
}

}  // namespace clickagg
