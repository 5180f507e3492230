// The counts of a top-N window of several minutes on the device, per (slot, ad), as arrays
// sorted by count key: the GPU twin of host/engine/sliding_sum.h. Moving the window to the next
// minute is a merge of the sum with one sorted delta, not a re-summing of its M minutes:
//   delta = the minutes entering (added) + the minutes leaving (taken off) + the late counts
//           logged for the minutes it holds (DeviceWindowTable's logs), gathered, radix-sorted
//           and reduced by key (its size is small next to the sum's);
//   sum   = merge(sum, delta), equal keys added (at most two: each side holds a key once),
//           groups whose sum reaches 0 dropped, compacted by a scan.
// Two synchronisations per move (the delta's size, then the sum's). Sums are 64-bit: taking
// off wraps below zero only if a minute is taken off that the sum does not hold, which sets
// kErrSumBelowZero.
//
//   DeviceSlidingSum sum(stream, d_error);
//   sum.move(table, {e}, {}, {});                 // minute e enters
//   sum.move(table, {e + 1}, {e - M + 1}, held);  // the next minute enters, the oldest leaves
//   selector.candidates(sum.groups(), ...);
#pragma once
#include <cstdint>
#include <span>

#include "kernels/device_layout.h"
#include "kernels/device_memory.h"
#include "kernels/device_window_table.h"
#include "kernels/system/algorithms.h"
#include "kernels/system/runtime.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

class DeviceSlidingSum {
 public:
  DeviceSlidingSum(sys::Stream stream, unsigned* d_error);
  DeviceSlidingSum(const DeviceSlidingSum&) = delete;
  DeviceSlidingSum& operator=(const DeviceSlidingSum&) = delete;

  // sum += counts of the `add` minutes - counts of the `drop` minutes + logs of the `logged`
  // minutes, all read from `table`. `logged` lists the minutes the sum held before this move
  // (those of `drop` among them): what was logged for them since the last move. Synchronous.
  void move(const DeviceWindowTable& table, std::span<const int64_t> add, std::span<const int64_t> drop,
            std::span<const int64_t> logged);
  void clear() { n_ = 0; }
  GroupsRef groups() const { return GroupsRef{keys_.data(), counts_.data(), n_}; }
  uint64_t size() const { return n_; }

 private:
  void check_error(unsigned long long* d_value, unsigned long long& value);

  sys::Stream stream_;
  unsigned* d_error_;
  sys::Scratch temp_;
  uint64_t n_ = 0;
  DeviceArray<unsigned long long> keys_, counts_;                // the sum
  DeviceArray<unsigned long long> delta_keys_, delta_counts_;    // gathered, then reduced
  DeviceArray<unsigned long long> sorted_keys_, sorted_counts_;  // the delta sorted; the merge
  DeviceArray<uint32_t> keep_, at_;
  DeviceArray<unsigned long long> cursor_;
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
