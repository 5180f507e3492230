#include "kernels/device_sliding_sum.h"

#include <stdexcept>
#include <string>

#include "kernels/system/atomics.h"
#include "kernels/system/launch.h"
#include "kernels/system/warp.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {

// As many groups as top-N selection takes (topn_select.cu), well within the algorithms' int
// item counts (the scan's flags included).
constexpr uint64_t kMaxItems = 1ull << 30;

// Counts of the minutes taken off, as their two's complement: the sums wrap back.
struct Negate {
  unsigned long long* counts;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (active) counts[i] = 0ull - counts[i];
  }
};

// The merged run holds each key at most twice, side by side. The first copy of a key carries
// the key's sum and is kept if that is not 0.
CLICKAGG_HD unsigned long long merged_sum(const unsigned long long* keys, const unsigned long long* counts,
                                          unsigned long long n, unsigned long long i) {
  unsigned long long c = counts[i];
  if (i + 1 < n && keys[i + 1] == keys[i]) c += counts[i + 1];
  return c;
}
CLICKAGG_HD bool first_copy(const unsigned long long* keys, unsigned long long i) {
  return i == 0 || keys[i - 1] != keys[i];
}

struct Flag {
  const unsigned long long* keys;
  const unsigned long long* counts;
  unsigned long long n;
  uint32_t* keep;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active) return;
    bool k = false;
    if (first_copy(keys, i)) {
      const unsigned long long c = merged_sum(keys, counts, n, i);
      if ((c >> 63) != 0) sys::fetch_or(error, kErrSumBelowZero);
      k = c != 0;
    }
    keep[i] = k ? 1u : 0u;
  }
};

struct Compact {
  const unsigned long long* keys;
  const unsigned long long* counts;
  unsigned long long n;
  const uint32_t* keep;
  const uint32_t* at;
  unsigned long long* out_keys;
  unsigned long long* out_counts;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active || keep[i] == 0) return;
    out_keys[at[i]] = keys[i];
    out_counts[at[i]] = merged_sum(keys, counts, n, i);
  }
};

}  // namespace

DeviceSlidingSum::DeviceSlidingSum(sys::Stream stream, unsigned* d_error)
    : stream_(stream),
      d_error_(d_error),
      temp_(stream),
      keys_(stream),
      counts_(stream),
      delta_keys_(stream),
      delta_counts_(stream),
      sorted_keys_(stream),
      sorted_counts_(stream),
      keep_(stream),
      at_(stream),
      cursor_(stream) {
  cursor_.reserve_discard(1);
}

void DeviceSlidingSum::check_error(unsigned long long* d_value, unsigned long long& value) {
  unsigned error = 0;
  sys::copy_async(&value, d_value, sizeof value, sys::Copy::DeviceToHost, stream_);
  sys::copy_async(&error, d_error_, sizeof error, sys::Copy::DeviceToHost, stream_);
  sys::sync(stream_);
  if (error != 0) throw std::runtime_error("GPU engine: internal window sum error (code " + std::to_string(error) + ")");
}

void DeviceSlidingSum::move(const DeviceWindowTable& table, std::span<const int64_t> add, std::span<const int64_t> drop,
                            std::span<const int64_t> logged) {
  uint64_t added = 0, dropped = 0, logs = 0;
  for (int64_t m : add) added += table.count_size(m);
  for (int64_t m : drop) dropped += table.count_size(m);
  for (int64_t m : logged) logs += table.log_size(m);
  const uint64_t d = added + dropped + logs;
  if (d == 0) return;
  if (d > kMaxItems || n_ + d > kMaxItems) throw std::runtime_error("GPU engine: top-N window holds too many groups");

  // The delta, gathered unsorted: entering minutes, leaving ones (negated), logs.
  delta_keys_.reserve_discard(d);
  delta_counts_.reserve_discard(d);
  sys::fill_async(cursor_.data(), 0, sizeof(unsigned long long), stream_);
  for (int64_t m : add) table.gather_counts_async(m, delta_keys_.data(), delta_counts_.data(), cursor_.data(), d);
  for (int64_t m : drop) table.gather_counts_async(m, delta_keys_.data(), delta_counts_.data(), cursor_.data(), d);
  sys::launch(stream_, dropped, Negate{delta_counts_.data() + added}, "negate");
  for (int64_t m : logged) table.gather_log_async(m, delta_keys_.data(), delta_counts_.data(), cursor_.data(), d);

  // Sorted and reduced: each key of the delta once.
  sorted_keys_.reserve_discard(d);
  sorted_counts_.reserve_discard(d);
  sys::sort_pairs(temp_, delta_keys_.data(), sorted_keys_.data(), delta_counts_.data(), sorted_counts_.data(), d, 0,
                  kCountKeyBits);
  sys::reduce_by_key(temp_, sorted_keys_.data(), delta_keys_.data(), sorted_counts_.data(), delta_counts_.data(),
                     cursor_.data(), d);
  unsigned long long r = 0;
  check_error(cursor_.data(), r);
  if (r > d) throw std::logic_error("GPU engine: a window's delta reduced to more keys than it had");

  // Merged with the sum, equal keys added, zeros dropped.
  const uint64_t m = n_ + r;
  sorted_keys_.reserve_discard(m);
  sorted_counts_.reserve_discard(m);
  sys::merge_pairs(temp_, keys_.data(), counts_.data(), n_, delta_keys_.data(), delta_counts_.data(), r,
                   sorted_keys_.data(), sorted_counts_.data());
  keep_.reserve_discard(m + 1);
  at_.reserve_discard(m + 1);
  sys::fill_async(keep_.data() + m, 0, sizeof(uint32_t), stream_);
  sys::launch(stream_, m, Flag{sorted_keys_.data(), sorted_counts_.data(), m, keep_.data(), d_error_}, "sum_flag");
  sys::exclusive_sum(temp_, keep_.data(), at_.data(), m + 1);
  keys_.reserve_discard(m);
  counts_.reserve_discard(m);
  sys::launch(stream_, m,
              Compact{sorted_keys_.data(), sorted_counts_.data(), m, keep_.data(), at_.data(), keys_.data(),
                      counts_.data()},
              "sum_compact");
  uint32_t kept = 0;
  unsigned error = 0;
  sys::copy_async(&kept, at_.data() + m, sizeof kept, sys::Copy::DeviceToHost, stream_);
  sys::copy_async(&error, d_error_, sizeof error, sys::Copy::DeviceToHost, stream_);
  sys::sync(stream_);
  if (error != 0) throw std::runtime_error("GPU engine: internal window sum error (code " + std::to_string(error) + ")");
  n_ = kept;
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
