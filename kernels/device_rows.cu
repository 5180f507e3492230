#include "kernels/device_rows.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/block/event_match.h"
#include "kernels/block/search.h"
#include "kernels/system/launch.h"
#include "kernels/system/warp.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {

// 1. Events per batch minute among kept positions [begin, begin + n).
struct Histogram {
  const uint32_t* kept;
  const uint32_t* local;
  unsigned* hist;
  CLICKAGG_DEV void operator()(unsigned long long r, bool active) const {
    const uint32_t l = active ? local[kept[r]] : 0u;
    sys::count_into(hist, l, active);
  }
};

// 2. One row per kept position of the chunk (kept and rows start at the chunk's first), with
// the event's filter matches evaluated once.
struct Build {
  const uint32_t* kept;
  const Verdict* verdict;
  const uint32_t* local;
  const uint16_t* chunk_local;
  const Hash128* fp;
  const Ip16* ip;
  const uint16_t* country;
  UserTableRef users;  // mask 0: no filter names user ids
  const uint64_t* user_hash;
  const uint32_t* user_off;
  const uint16_t* user_len;
  const char* text;
  const DeviceCountry* extra;
  const uint32_t* overflow_event;  // ascending
  const DeviceCountry* overflow_code;
  uint32_t overflow_n;
  FilterTableRef filters;
  DeviceEvent* rows;
  const unsigned long long* bound;  // where set, rows from *bound on are not built
  CLICKAGG_DEV void operator()(unsigned long long r, bool active) const {
    if (!active || (bound != nullptr && r >= *bound)) return;
    const uint32_t i = kept[r];
    DeviceEvent e{};
    for (int b = 0; b < 16; ++b) e.ip[b] = ip[i].b[b];
    const uint16_t c = country[i];
    if (c < kFixedCountries) {
      e.country[0] = static_cast<char>('A' + c / 26);
      e.country[1] = static_cast<char>('A' + c % 26);
      e.country_len = 2;
    } else {
      const DeviceCountry* code = nullptr;
      if (c != kCountryOverflow) {
        code = extra + (c - kFixedCountries);
      } else {
        // The entry for event i (the batch lists every one).
        code = overflow_code + block::partition_point(0u, overflow_n, [&](uint32_t k) { return overflow_event[k] < i; });
      }
      for (int b = 0; b < 16; ++b) e.country[b] = code->code[b];
      e.country_len = static_cast<uint8_t>(code->len);
    }
    e.fp_lo = fp[i].lo;
    e.fp_hi = fp[i].hi;
    e.user_token = users.mask != 0 ? block::user_token_of(users, user_hash[i], text + user_off[i], user_len[i]) : kNoToken;
    e.minute_late = static_cast<uint16_t>(chunk_local[local[i]] | (verdict[i] == Verdict::ClosedLate ? kLateFlag : 0u));
    rows[r] = e;
    // Matched against the stored row: the country's bytes are walked by a loop of its own
    // length, which on a row in registers would put the whole row in local memory.
    if (filters.count <= kMaskFilters) rows[r].matches = block::match_mask(filters, rows[r]);
  }
};

DeviceCountry device_country(const Country& c) {
  DeviceCountry d{};
  std::memcpy(d.code, c.code.data(), sizeof d.code);
  d.len = c.len;
  return d;
}

}  // namespace

DeviceRows::DeviceRows(sys::Stream stream)
    : stream_(stream),
      fp_(stream),
      ip_(stream),
      country_(stream),
      user_hash_(stream),
      user_off_(stream),
      user_len_(stream),
      extra_(stream),
      overflow_event_(stream),
      overflow_code_(stream),
      hist_(stream),
      chunk_local_(stream) {
  hist_copied_ = sys::create_event(false);
}

DeviceRows::~DeviceRows() {
  // The stream's owner waits for its work before the buffers go; the event may go first.
  sys::destroy_event(hist_copied_);
}

void DeviceRows::upload(const EventColumns& batch, bool users) {
  const size_t n = batch.size();
  upload_async(fp_, batch.fp.data(), n, stream_);
  upload_async(ip_, batch.ip.data(), n, stream_);
  upload_async(country_, batch.country.data(), n, stream_);
  has_users_ = users;
  if (users) {
    upload_async(user_hash_, batch.user_hash.data(), n, stream_);
    upload_async(user_off_, batch.user_off.data(), n, stream_);
    upload_async(user_len_, batch.user_len.data(), n, stream_);
  }

  // The small tables go through pinned staging, rewritten only after the next synchronisation.
  const auto& extra = batch.extra_countries();
  extra_h_.reserve_discard(std::max<size_t>(extra.size(), 1));
  for (size_t k = 0; k < extra.size(); ++k) extra_h_[k] = device_country(extra[k]);
  upload_async(extra_, extra_h_.data(), extra.size(), stream_);
  const auto& over = batch.overflow_countries();
  overflow_n_ = over.size();
  overflow_event_h_.reserve_discard(std::max<size_t>(overflow_n_, 1));
  overflow_code_h_.reserve_discard(std::max<size_t>(overflow_n_, 1));
  for (size_t k = 0; k < overflow_n_; ++k) {
    overflow_event_h_[k] = over[k].first;
    overflow_code_h_[k] = device_country(over[k].second);
  }
  upload_async(overflow_event_, overflow_event_h_.data(), overflow_n_, stream_);
  upload_async(overflow_code_, overflow_code_h_.data(), overflow_n_, stream_);
}

void DeviceRows::histogram(const KeptEvents& k, size_t begin, size_t max_events) {
  const size_t m = k.minutes.size();
  if (begin >= k.kept_n || m == 0) throw std::logic_error("GPU engine: an empty chunk");
  // A chunk of at most kMaxChunkMinutes events has at most that many minutes.
  if (m > kMaxChunkMinutes) max_events = std::min<size_t>(max_events, kMaxChunkMinutes);
  hist_begin_ = begin;
  hist_end_ = begin + std::min(max_events, k.kept_n - begin);
  hist_on_host_ = false;
  hist_.reserve_discard(m);
  sys::fill_async(hist_.data(), 0, m * sizeof(unsigned), stream_);
  sys::launch(stream_, hist_end_ - begin, Histogram{k.kept + begin, k.local, hist_.data()}, "rows_histogram");
  // The pinned buffer is rewritten only after build() has read the previous histogram.
  hist_h_.reserve_discard(m);
  sys::copy_async(hist_h_.data(), hist_.data(), m * sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
  sys::record(hist_copied_, stream_);
}

void DeviceRows::whole_batch(const KeptEvents& k, std::span<const uint32_t> minute_events) {
  const size_t m = k.minutes.size();
  if (k.kept_n == 0 || m == 0 || minute_events.size() != m || m > kMaxChunkMinutes)
    throw std::logic_error("GPU engine: a whole-batch chunk outside its limits");
  hist_begin_ = 0;
  hist_end_ = k.kept_n;
  hist_h_.reserve_discard(m);
  std::copy(minute_events.begin(), minute_events.end(), hist_h_.data());
  hist_on_host_ = true;
}

PackedChunk DeviceRows::build(const KeptEvents& k, size_t begin, const FilterTableRef& filters,
                              const UserTableRef& users, const char* text, DeviceArray<DeviceEvent>& rows) {
  if (hist_begin_ != begin) throw std::logic_error("GPU engine: a chunk built before its histogram");
  hist_begin_ = SIZE_MAX;  // consumed here
  if (!hist_on_host_) sys::sync(hist_copied_);
  hist_on_host_ = false;
  const size_t m = k.minutes.size();
  PackedChunk c;
  c.begin = begin;
  c.end = hist_end_;
  const size_t n = c.size();

  chunk_local_h_.reserve_discard(m);
  for (size_t l = 0; l < m; ++l) {
    const unsigned events = hist_h_[l];
    chunk_local_h_[l] = static_cast<uint16_t>(c.minutes.size());
    if (events == 0) continue;
    c.minutes.push_back(k.minutes[l]);
    c.minute_events.push_back(events);
  }
  if (c.minutes.size() > kMaxChunkMinutes) throw std::logic_error("GPU engine: chunk past its minutes");
  upload_async(chunk_local_, chunk_local_h_.data(), m, stream_);

  rows.reserve_discard(n);
  launch_build(k, begin, n, nullptr, filters, users, text, rows);
  return c;
}

PackedChunk DeviceRows::build_bounded(const KeptEvents& k, const unsigned long long* d_bound,
                                      const FilterTableRef& filters, const UserTableRef& users, const char* text,
                                      DeviceArray<DeviceEvent>& rows) {
  const size_t m = k.minutes.size();
  if (m == 0 || m > kMaxChunkMinutes) throw std::logic_error("GPU engine: a bounded chunk outside its limits");
  PackedChunk c;
  c.end = k.kept_n;
  c.minutes.assign(k.minutes.begin(), k.minutes.end());
  chunk_local_h_.reserve_discard(m);
  for (size_t l = 0; l < m; ++l) chunk_local_h_[l] = static_cast<uint16_t>(l);
  upload_async(chunk_local_, chunk_local_h_.data(), m, stream_);
  rows.reserve_discard(std::max<size_t>(k.kept_n, 1));
  launch_build(k, 0, k.kept_n, d_bound, filters, users, text, rows);
  return c;
}

void DeviceRows::launch_build(const KeptEvents& k, size_t begin, size_t n, const unsigned long long* d_bound,
                              const FilterTableRef& filters, const UserTableRef& users, const char* text,
                              DeviceArray<DeviceEvent>& rows) {
  sys::launch(stream_, n,
              Build{k.kept + begin, k.verdict, k.local, chunk_local_.data(), fp_.data(), ip_.data(), country_.data(),
                    has_users_ ? users : UserTableRef{}, user_hash_.data(), user_off_.data(), user_len_.data(), text,
                    extra_.data(), overflow_event_.data(), overflow_code_.data(), static_cast<uint32_t>(overflow_n_),
                    filters, rows.data(), d_bound},
              "rows_build");
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
