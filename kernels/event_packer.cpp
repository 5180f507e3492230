#include "kernels/event_packer.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace clickagg::gpu {

namespace {
constexpr size_t kParallelFrom = 1 << 15;  // below this, threads cost more than they save
}

EventPacker::EventPacker(unsigned threads) : pool_(threads == 0 ? 1 : threads) {}

void EventPacker::parallel_ranges(size_t n, const std::function<void(size_t, size_t)>& fn) {
  const unsigned parts = pool_.size();
  if (n < kParallelFrom || parts == 1) {
    fn(0, n);
    return;
  }
  pool_.run([&](unsigned t) {
    const size_t per = (n + parts - 1) / parts;
    const size_t lo = std::min(n, per * t);
    const size_t hi = std::min(n, lo + per);
    if (lo < hi) fn(lo, hi);
  });
}

PackedChunk EventPacker::pack(std::span<const Event> events, std::span<const uint32_t> kept,
                              std::span<const int64_t> minute, std::span<const Verdict> verdict, size_t begin,
                              const ChunkLimits& limits, AdDictionary& ads, const DeviceFilterTable& filters,
                              PinnedArray<DeviceEvent>& rows, PinnedArray<char>& blob) {
  PackedChunk c;
  c.begin = begin;
  const size_t max_events = std::min(limits.events, kept.size() - begin);
  local_.clear();
  local_of_.resize(max_events);
  str_off_.resize(max_events);

  // 1. Cut the chunk: local minute ids and string offsets, in arrival order.
  size_t bytes = 0;
  size_t k = begin;
  bool have_last = false;
  int64_t last_minute = 0;
  uint16_t last_local = 0;
  for (; k < begin + max_events; ++k) {
    const Event& ev = events[kept[k]];
    const size_t sz = ev.ad_id.size() + ev.user_id.size() + ev.click_id.size();
    if (k > begin && bytes + sz > limits.blob_bytes) break;
    const int64_t m = minute[kept[k]];
    if (!have_last || m != last_minute) {
      auto it = local_.find(m);
      if (it == local_.end()) {
        if (c.minutes.size() == kMaxChunkMinutes) break;
        it = local_.emplace(m, static_cast<uint16_t>(c.minutes.size())).first;
        c.minutes.push_back(m);
        c.minute_events.push_back(0);
      }
      have_last = true;
      last_minute = m;
      last_local = it->second;
    }
    ++c.minute_events[last_local];
    local_of_[k - begin] = last_local;
    str_off_[k - begin] = static_cast<uint32_t>(bytes);
    bytes += sz;
    if (bytes > 0xFFFFFFFFull) throw std::length_error("GPU engine: one event's strings exceed 4 GiB");
  }
  c.end = k;
  c.blob_bytes = bytes;
  const size_t n = c.size();
  rows.reserve_discard(n);
  blob.reserve_discard(std::max<size_t>(bytes, 1));
  hash_.resize(n);
  ad_.resize(n);

  // 2. Ad hashes (parallel), then interning in arrival order (sequential: it assigns ids).
  parallel_ranges(n, [&](size_t lo, size_t hi) {
    for (size_t j = lo; j < hi; ++j) hash_[j] = AdDictionary::hash(events[kept[begin + j]].ad_id);
  });
  for (size_t j = 0; j < n; ++j) ad_[j] = ads.intern(events[kept[begin + j]].ad_id, hash_[j]);

  // 3. Rows and strings (parallel).
  const bool tokens = filters.uses_users();
  DeviceEvent* out = rows.data();
  char* text = blob.data();
  parallel_ranges(n, [&](size_t lo, size_t hi) {
    for (size_t j = lo; j < hi; ++j) {
      const uint32_t i = kept[begin + j];
      const Event& ev = events[i];
      DeviceEvent r{};
      std::memcpy(r.ip, ev.ip.bytes.data(), sizeof r.ip);
      std::memcpy(r.country, ev.country.code.data(), sizeof r.country);
      r.t_ms = ev.t_ms;
      r.str_off = str_off_[j];
      r.ad = ad_[j];
      r.user_len = static_cast<uint32_t>(ev.user_id.size());
      r.click_len = static_cast<uint32_t>(ev.click_id.size());
      r.user_token = tokens ? filters.user_token(ev.user_id) : kNoToken;
      r.minute_late = static_cast<uint16_t>(local_of_[j] | (verdict[i] == Verdict::ClosedLate ? kLateFlag : 0u));
      r.ad_len = static_cast<uint8_t>(ev.ad_id.size());
      r.country_len = ev.country.len;
      out[j] = r;
      char* dst = text + str_off_[j];
      if (!ev.ad_id.empty()) std::memcpy(dst, ev.ad_id.data(), ev.ad_id.size());
      dst += ev.ad_id.size();
      if (!ev.user_id.empty()) std::memcpy(dst, ev.user_id.data(), ev.user_id.size());
      dst += ev.user_id.size();
      if (!ev.click_id.empty()) std::memcpy(dst, ev.click_id.data(), ev.click_id.size());
    }
  });
  return c;
}

}  // namespace clickagg::gpu
