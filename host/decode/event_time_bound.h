// The bound on event time: an event dated further ahead of processing time than the bound is
// rejected, like malformed input, before any engine judges it. Without it one record from a
// bad clock (9999-12-31 is a valid time) would move its partition's watermark to the end of
// time, and every later valid click would be dropped late.
#pragma once
#include <cstdint>
#include <optional>

#include "host/decode/decode.h"
#include "host/decode/timestamp.h"

namespace clickagg {

// The reason such an event is rejected with.
inline constexpr const char* kEventTimeAhead = "event time too far ahead of processing time (--max-future)";

class EventTimeBound {
 public:
  // No bound: any time the decoders accept (replays of old data).
  EventTimeBound() = default;
  // Events at most max_future_ms ahead of processing time now_ms (nullopt: no bound).
  EventTimeBound(int64_t now_ms, std::optional<int64_t> max_future_ms)
      : latest_ms_(max_future_ms && now_ms <= kMaxEventTimeMs - *max_future_ms ? now_ms + *max_future_ms
                                                                                : kMaxEventTimeMs) {}
  int64_t latest_ms() const { return latest_ms_; }
  // nullptr, or the reason an event at t_ms is rejected.
  DecodeStatus check(int64_t t_ms) const { return t_ms > latest_ms_ ? kEventTimeAhead : nullptr; }

 private:
  int64_t latest_ms_ = kMaxEventTimeMs;
};

}  // namespace clickagg
