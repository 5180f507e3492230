// Event-time watermark over input partitions. Each partition's watermark is its largest event
// time minus the delay; the global watermark is the minimum over active partitions and never
// moves back (a partition that wakes up from idleness cannot reopen closed windows).
#pragma once
#include <cstdint>
#include <iosfwd>
#include <map>

#include "host/common/time_util.h"
#include "host/engine/judge_rule.h"

namespace clickagg {

class WatermarkTracker {
 public:
  WatermarkTracker(int64_t delay_ms, int64_t idle_timeout_ms)
      : delay_(delay_ms), idle_timeout_(idle_timeout_ms) {}

  // Marks `partition` active at processing time `now_ms` (registering it if new).
  void touch(uint32_t partition, int64_t now_ms);
  // Minimum watermark over active partitions other than `partition`; kEndOfTime if none.
  int64_t others_min(uint32_t partition, int64_t now_ms) const;
  int64_t partition_max(uint32_t partition) const;
  void set_partition_max(uint32_t partition, int64_t max_t);
  // The partition watermark implied by a largest event time.
  int64_t from_max(int64_t max_t) const { return partition_watermark(max_t, delay_); }

  // Recomputes the global watermark at `now_ms` (monotone) and returns it.
  int64_t advance(int64_t now_ms);
  void raise_to(int64_t w) { if (w > global_) global_ = w; }
  int64_t current() const { return global_; }
  void drop(uint32_t partition) { parts_.erase(partition); }

  void save(std::ostream& out) const;
  void restore(std::istream& in);

 private:
  struct Part {
    int64_t max_t = kNoTime;
    int64_t last_active_ms = 0;
  };
  bool active(const Part& p, int64_t now_ms) const { return now_ms - p.last_active_ms <= idle_timeout_; }

  int64_t delay_;
  int64_t idle_timeout_;
  int64_t global_ = kNoTime;
  std::map<uint32_t, Part> parts_;
};

}  // namespace clickagg
