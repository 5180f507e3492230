// Which windows are open, closed, retained or purged under a watermark, and what each
// advance of the watermark requires an engine to emit. Engine-independent bookkeeping: the
// CPU and GPU engines hold the counts; this decides when they are final.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <map>
#include <utility>
#include <vector>

#include "host/engine/judge_rule.h"

namespace clickagg {

struct WindowPlan {
  std::vector<int64_t> close;         // closed now: first emission (ascending)
  std::vector<int64_t> correct;       // closed before, changed by late events since
  std::vector<int64_t> topn_initial;  // minutes whose top-N lists are emitted the first time
  std::vector<int64_t> topn_correct;  // minutes whose emitted lists may have changed
  std::vector<int64_t> purge;         // windows past allowed lateness: dedup state can go
  std::vector<int64_t> forget;        // minutes no top-N list can need any more: counts can go
  bool empty() const {
    return close.empty() && correct.empty() && topn_initial.empty() && topn_correct.empty() &&
           purge.empty() && forget.empty();
  }
};

// The order every engine emits a plan in: windows (first emissions and corrections) by
// minute, then top-N lists by minute; `second` is true for a correction.
struct EmissionOrder {
  std::vector<std::pair<int64_t, bool>> windows;
  std::vector<std::pair<int64_t, bool>> lists;
};
EmissionOrder emission_order(const WindowPlan& plan);

class WindowLifecycle {
 public:
  WindowLifecycle(int64_t allowed_lateness_ms, uint32_t max_topn_window)
      : lateness_(allowed_lateness_ms), max_window_(max_topn_window) {}

  // Records that `count` events were counted into `minute` (late: into a closed window).
  void on_counted(int64_t minute, uint64_t count, bool late);
  // Applies a new watermark (kEndOfTime at end of input) and says what to emit and drop.
  WindowPlan advance(int64_t w);

  bool has_counts() const { return first_counted_ <= last_counted_; }

  void save(std::ostream& out) const;
  void restore(std::istream& in);

 private:
  struct Meta {
    bool closed = false;
    bool dirty = false;   // counted into after it closed, not yet re-emitted
    bool purged = false;  // dedup state gone, counts kept for top-N sums
  };
  static bool reached(int64_t w, int64_t t) { return w >= t; }

  int64_t lateness_;
  uint32_t max_window_;
  std::map<int64_t, Meta> windows_;  // minutes with counted events, until forgotten
  int64_t first_counted_ = INT64_MAX, last_counted_ = INT64_MIN;
  int64_t topn_lo_ = 0, topn_hi_ = -1;  // minutes whose lists were emitted; empty when lo > hi
  bool topn_any_ = false;
};

}  // namespace clickagg
