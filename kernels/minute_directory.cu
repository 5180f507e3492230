#include "kernels/minute_directory.h"

#include <algorithm>
#include <stdexcept>

#include "host/common/time_util.h"
#include "kernels/block/search.h"
#include "kernels/system/launch.h"
#include "kernels/system/warp.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {

// Each kept event's entry, counted per entry (entry m: none).
struct Assign {
  const int64_t* t;
  const Verdict* verdict;
  const int64_t* minutes;
  uint32_t m;
  uint32_t* local;
  unsigned* hist;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    const bool kept = active && verdict[i] != Verdict::DroppedLate;
    uint32_t entry = m;
    if (kept) {
      const int64_t minute = minute_of(t[i]);
      const uint32_t lo = block::partition_point(0u, m, [&](uint32_t k) { return minutes[k] < minute; });
      if (lo < m && minutes[lo] == minute) entry = lo;
      local[i] = entry < m ? entry : 0u;
    }
    sys::count_into(hist, entry, kept);
  }
};

// One thread: the bound the bounded kernels read.
struct Bound {
  const unsigned* hist;
  const unsigned long long* room;
  uint32_t m;
  const unsigned long long* kept;
  unsigned long long* bound;
  CLICKAGG_DEV void operator()(unsigned long long, bool active) const {
    if (!active) return;
    bool fit = hist[m] == 0;
    for (uint32_t e = 0; e < m; ++e) fit = fit && hist[e] <= room[e];
    *bound = fit ? *kept : 0ull;
    bound[1] = fit ? 1ull : 0ull;
  }
};

constexpr uint64_t kMinRoom = 1024;

}  // namespace

MinuteDirectory::MinuteDirectory(sys::Stream stream)
    : stream_(stream),
      d_minutes_(stream),
      d_refs_(stream),
      d_room_(stream),
      hist_(stream),
      local_(stream),
      bound_(stream) {
  rb_.reserve_discard(1);
  rb_[0].fit = 0;
  bound_.reserve_discard(2);
  minutes_h_.reserve_discard(kMaxDirectoryMinutes);
  refs_h_.reserve_discard(kMaxDirectoryMinutes);
  room_h_.reserve_discard(kMaxDirectoryMinutes);
}

void MinuteDirectory::remember(std::span<const int64_t> minutes, std::span<const uint32_t> events) {
  last_minutes_.assign(minutes.begin(), minutes.end());
  last_events_.assign(events.begin(), events.end());
}

bool MinuteDirectory::prepare(DeviceWindowTable& table, size_t n) {
  minutes_.clear();
  const std::vector<int64_t> alive = table.fingerprint_minutes(true);
  int64_t newest = kNoTime;
  for (int64_t m : alive)
    if (table.fingerprint_count(m) > 0) newest = std::max(newest, m);
  const int64_t ahead = newest == kNoTime ? kNoTime : newest + 1;
  // Empty tables other than the one ahead were given for minutes that got nothing (all of
  // them once every minute with fingerprints has been purged).
  for (int64_t m : alive)
    if (m != ahead && table.fingerprint_count(m) == 0) table.purge_fingerprints(m);
  if (newest == kNoTime || n == 0) return false;
  for (int64_t m : alive)
    if (m == ahead || table.fingerprint_count(m) > 0) minutes_.push_back(m);
  if (minutes_.empty() || minutes_.back() != ahead) minutes_.push_back(ahead);
  if (minutes_.size() > kMaxDirectoryMinutes) {
    minutes_.clear();
    return false;
  }
  uint64_t busiest = 0;
  for (uint32_t e : last_events_) busiest = std::max<uint64_t>(busiest, e);
  const size_t m = minutes_.size();
  for (size_t l = 0; l < m; ++l) {
    const int64_t minute = minutes_[l];
    const auto it = std::lower_bound(last_minutes_.begin(), last_minutes_.end(), minute);
    const uint64_t last = it != last_minutes_.end() && *it == minute ? last_events_[it - last_minutes_.begin()] : 0;
    const uint64_t want = minute == newest ? n : minute == ahead ? 2 * busiest + kMinRoom : 2 * last + kMinRoom;
    const uint64_t size = table.fingerprint_count(minute);
    const uint64_t room = table.fingerprint_capacity(minute) / 2 - std::min(size, table.fingerprint_capacity(minute) / 2);
    const FpTableRef ref = table.reserve_fingerprints(minute, std::max<uint64_t>(room, std::min<uint64_t>(want, n)));
    minutes_h_[l] = minute;
    refs_h_[l] = ref;
    room_h_[l] = (ref.mask + 1) / 2 - size;
  }
  upload_async(d_minutes_, minutes_h_.data(), m, stream_);
  upload_async(d_refs_, refs_h_.data(), m, stream_);
  upload_async(d_room_, room_h_.data(), m, stream_);
  return true;
}

void MinuteDirectory::assign(const int64_t* d_t, const Verdict* verdict, const unsigned long long* d_kept, size_t n) {
  const auto m = static_cast<uint32_t>(minutes_.size());
  if (m == 0) throw std::logic_error("GPU engine: a minute directory used unprepared");
  local_.reserve_discard(std::max<size_t>(n, 1));
  hist_.reserve_discard(m + 1);
  sys::fill_async(hist_.data(), 0, (m + 1) * sizeof(unsigned), stream_);
  sys::launch(stream_, n, Assign{d_t, verdict, d_minutes_.data(), m, local_.data(), hist_.data()}, "directory_assign");
  sys::launch(stream_, 1, Bound{hist_.data(), d_room_.data(), m, d_kept, bound_.data()}, "directory_bound");
  sys::copy_async(&rb_[0].fit, bound_.data() + 1, sizeof(unsigned long long), sys::Copy::DeviceToHost, stream_);
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
