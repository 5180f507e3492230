#include "host/engine/watermark.h"

#include <algorithm>

#include "host/engine/state_io.h"

namespace clickagg {

void WatermarkTracker::touch(uint32_t partition, int64_t now_ms) {
  parts_[partition].last_active_ms = now_ms;
}

int64_t WatermarkTracker::others_min(uint32_t partition, int64_t now_ms) const {
  int64_t m = kEndOfTime;
  for (const auto& [id, p] : parts_)
    if (id != partition && active(p, now_ms)) m = std::min(m, from_max(p.max_t));
  return m;
}

int64_t WatermarkTracker::partition_max(uint32_t partition) const {
  auto it = parts_.find(partition);
  return it == parts_.end() ? kNoTime : it->second.max_t;
}

void WatermarkTracker::set_partition_max(uint32_t partition, int64_t max_t) {
  parts_[partition].max_t = max_t;
}

int64_t WatermarkTracker::advance(int64_t now_ms) {
  int64_t m = kEndOfTime;
  bool any = false;
  for (const auto& [id, p] : parts_) {
    if (!active(p, now_ms)) continue;
    any = true;
    m = std::min(m, from_max(p.max_t));
  }
  // With every partition idle nothing new is known about event time: hold.
  if (any) raise_to(m);
  return global_;
}

void WatermarkTracker::save(std::ostream& out) const {
  state_io::put(out, global_);
  state_io::put(out, static_cast<uint64_t>(parts_.size()));
  for (const auto& [id, p] : parts_) {
    state_io::put(out, id);
    state_io::put(out, p.max_t);
    state_io::put(out, p.last_active_ms);
  }
}

void WatermarkTracker::restore(std::istream& in) {
  parts_.clear();
  global_ = state_io::get<int64_t>(in);
  const auto n = state_io::get<uint64_t>(in);
  for (uint64_t i = 0; i < n; ++i) {
    const auto id = state_io::get<uint32_t>(in);
    Part p;
    p.max_t = state_io::get<int64_t>(in);
    p.last_active_ms = state_io::get<int64_t>(in);
    parts_[id] = p;
  }
}

}  // namespace clickagg
