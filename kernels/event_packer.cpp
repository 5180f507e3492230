#include "kernels/event_packer.h"

#include <algorithm>
#include <cstring>

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {
constexpr size_t kParallelFrom = 1 << 15;  // below this, threads cost more than they save
}

PackedChunk EventPacker::pack(const EventColumns& batch, std::span<const uint32_t> kept, const BatchJudgement& j,
                              size_t begin, const ChunkLimits& limits,
                              const DeviceFilterTable& filters, PinnedArray<DeviceEvent>& rows) {
  PackedChunk c;
  c.begin = begin;
  const size_t max_events = std::min(limits.events, kept.size() - begin);
  local_.clear();
  local_of_.resize(max_events);

  // 1. Cut the chunk: chunk-local minute ids, in arrival order.
  size_t k = begin;
  bool have_last = false;
  uint32_t last_minute = 0;
  uint16_t last_local = 0;
  for (; k < begin + max_events; ++k) {
    const uint32_t m = j.local[kept[k]];
    if (!have_last || m != last_minute) {
      auto it = local_.find(m);
      if (it == local_.end()) {
        if (c.minutes.size() == kMaxChunkMinutes) break;
        it = local_.emplace(m, static_cast<uint16_t>(c.minutes.size())).first;
        c.minutes.push_back(j.minutes[m]);
        c.minute_events.push_back(0);
      }
      have_last = true;
      last_minute = m;
      last_local = it->second;
    }
    ++c.minute_events[last_local];
    local_of_[k - begin] = last_local;
  }
  c.end = k;
  const size_t n = c.size();
  rows.reserve_discard(n);

  // 2. Rows (parallel over ranges).
  const bool tokens = filters.uses_users();
  DeviceEvent* out = rows.data();
  auto fill = [&](size_t lo, size_t hi) {
    for (size_t r = lo; r < hi; ++r) {
      const uint32_t i = kept[begin + r];
      DeviceEvent e{};
      std::memcpy(e.ip, batch.ip[i].b, sizeof e.ip);
      const Country country = batch.country_of(i);
      std::memcpy(e.country, country.code.data(), sizeof e.country);
      e.country_len = country.len;
      e.fp_lo = batch.fp[i].lo;
      e.fp_hi = batch.fp[i].hi;
      e.user_token = tokens ? filters.user_token(batch.user_id(i)) : kNoToken;
      e.minute_late = static_cast<uint16_t>(local_of_[r] | (j.verdict[i] == Verdict::ClosedLate ? kLateFlag : 0u));
      out[r] = e;
    }
  };
  const unsigned parts = n < kParallelFrom ? 1 : pool_.size();
  if (parts == 1) fill(0, n);
  else pool_.run([&](unsigned t) { fill(n * t / parts, n * (t + 1) / parts); });
  return c;
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
