#include "host/engine/window_lifecycle.h"

#include <algorithm>
#include <set>

#include "host/common/time_util.h"
#include "host/engine/state_io.h"
#include "host/engine/watermark.h"

namespace clickagg {

namespace {
// Largest minute m whose window [m, m+1) has ended at watermark w (w >= (m+1)*60000).
int64_t last_closed_minute(int64_t w) {
  if (w == kEndOfTime) return INT64_MAX;
  if (w == kNoTime) return INT64_MIN;
  const int64_t q = w / kMsPerMinute - ((w % kMsPerMinute) < 0 ? 1 : 0);
  return q - 1;
}
}  // namespace

EmissionOrder emission_order(const WindowPlan& plan) {
  EmissionOrder o;
  for (int64_t m : plan.close) o.windows.emplace_back(m, false);
  for (int64_t m : plan.correct) o.windows.emplace_back(m, true);
  std::sort(o.windows.begin(), o.windows.end());
  for (int64_t e : plan.topn_initial) o.lists.emplace_back(e, false);
  for (int64_t e : plan.topn_correct) o.lists.emplace_back(e, true);
  std::sort(o.lists.begin(), o.lists.end());
  return o;
}

void WindowLifecycle::on_counted(int64_t minute, uint64_t count, bool late) {
  if (count == 0) return;
  Meta& m = windows_[minute];
  if (late) m.dirty = true;
  first_counted_ = std::min(first_counted_, minute);
  last_counted_ = std::max(last_counted_, minute);
}

WindowPlan WindowLifecycle::advance(int64_t w) {
  WindowPlan plan;
  const int64_t closed_upto = last_closed_minute(w);
  std::set<int64_t> corrected;
  for (auto& [minute, meta] : windows_) {
    if (minute > closed_upto) break;
    // Late events change the top-N lists of later minutes already emitted, also when this is
    // the window's first emission (all of its events arrived after it closed).
    if (meta.dirty) corrected.insert(minute);
    if (!meta.closed) {
      meta.closed = true;
      plan.close.push_back(minute);
    } else if (meta.dirty) {
      plan.correct.push_back(minute);
    }
    meta.dirty = false;
  }

  // Top-N lists cover every closed minute from the first to the last with counted events.
  if (has_counts()) {
    const int64_t lo = first_counted_;
    const int64_t hi = std::min(last_counted_, closed_upto);
    std::set<int64_t> corrections;
    if (topn_any_) {
      for (int64_t m : corrected) {
        const int64_t from = std::max(m, topn_lo_);
        const int64_t to = std::min<int64_t>(m + max_window_ - 1, topn_hi_);
        for (int64_t e = from; e <= to; ++e) corrections.insert(e);
      }
    }
    // Only minutes within reach of a counted minute can have a non-empty list; walking the
    // counted windows keeps a jump far ahead in event time from enumerating empty minutes.
    int64_t next = lo;
    for (const auto& [minute, meta] : windows_) {
      const int64_t from = std::max(next, minute);
      const int64_t to = std::min<int64_t>(hi, minute + max_window_ - 1);
      for (int64_t e = from; e <= to; ++e) {
        const bool emitted = topn_any_ && e >= topn_lo_ && e <= topn_hi_;
        if (!emitted) plan.topn_initial.push_back(e);
      }
      next = std::max(next, to + 1);
    }
    plan.topn_correct.assign(corrections.begin(), corrections.end());
    if (lo <= hi) {
      topn_lo_ = topn_any_ ? std::min(topn_lo_, lo) : lo;
      topn_hi_ = topn_any_ ? std::max(topn_hi_, hi) : hi;
      topn_any_ = true;
    }
  }

  // Retention: dedup state lives until the window is past allowed lateness; counts live on
  // while a later minute's top-N window can still change and needs them.
  for (auto it = windows_.begin(); it != windows_.end();) {
    const int64_t minute = it->first;
    Meta& meta = it->second;
    if (!reached(w, window_end_ms(minute) + lateness_)) break;
    if (!meta.purged) {
      meta.purged = true;
      plan.purge.push_back(minute);
    }
    const int64_t last_user = minute + static_cast<int64_t>(max_window_) - 1;
    // ...and until every list that includes it has been emitted: a later event can extend
    // the listed range up to minutes whose windows still reach back to this one.
    const bool lists_done = topn_any_ && topn_hi_ >= last_user;
    if (w == kEndOfTime || (lists_done && reached(w, window_end_ms(last_user) + lateness_))) {
      plan.forget.push_back(minute);
      it = windows_.erase(it);
    } else {
      ++it;
    }
  }
  return plan;
}

void WindowLifecycle::save(std::ostream& out) const {
  state_io::put(out, static_cast<uint64_t>(windows_.size()));
  for (const auto& [minute, m] : windows_) {
    state_io::put(out, minute);
    state_io::put<uint8_t>(out, (m.closed ? 1 : 0) | (m.dirty ? 2 : 0) | (m.purged ? 4 : 0));
  }
  state_io::put(out, first_counted_);
  state_io::put(out, last_counted_);
  state_io::put(out, topn_lo_);
  state_io::put(out, topn_hi_);
  state_io::put<uint8_t>(out, topn_any_ ? 1 : 0);
}

void WindowLifecycle::restore(std::istream& in) {
  windows_.clear();
  const auto n = state_io::get<uint64_t>(in);
  for (uint64_t i = 0; i < n; ++i) {
    const auto minute = state_io::get<int64_t>(in);
    const auto f = state_io::get<uint8_t>(in);
    windows_[minute] = Meta{(f & 1) != 0, (f & 2) != 0, (f & 4) != 0};
  }
  first_counted_ = state_io::get<int64_t>(in);
  last_counted_ = state_io::get<int64_t>(in);
  topn_lo_ = state_io::get<int64_t>(in);
  topn_hi_ = state_io::get<int64_t>(in);
  topn_any_ = state_io::get<uint8_t>(in) != 0;
}

}  // namespace clickagg
