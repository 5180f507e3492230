// Top-N selection on the device for one minute e and a growing window: the counts of minutes
// e, e-1, ... are gathered into an accumulator; at each window size the accumulator is summed
// per (slot, ad) (a sort and a reduce-by-key, system/algorithms.h) and, per slot, the top N are
// selected and copied back: exactly min(N, groups) per slot.
//
// Exact tie-breaks: the ranking is count descending, then ad_id bytes ascending. The device
// sorts each slot's sums by count; the entries above the N-th count are in; of those tied with
// the N-th count (usually none past the N-th place), the first by name bytes are in, sorted on
// the device with the dictionary's names (SlotNameLess). The result equals the CPU engine's.
//
// Example (tests/gpu/device_window_table_test.cpp):
//   TopNSelector sel(stream, d_error);
//   sel.begin();
//   sel.add_minute(table, e);            // window of 1
//   sel.candidates(100, slots, names, out);
//   sel.add_minute(table, e - 1);        // window of 2 (continues the same accumulation)
//   sel.candidates(100, slots, names, out);
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/device_layout.h"
#include "kernels/device_memory.h"
#include "kernels/device_window_table.h"
#include "kernels/system/algorithms.h"
#include "kernels/system/runtime.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

struct TopNCandidate {
  uint32_t slot = 0;
  uint32_t ad = 0;
  uint64_t count = 0;
};

class TopNSelector {
 public:
  TopNSelector(sys::Stream stream, unsigned* d_error);
  TopNSelector(const TopNSelector&) = delete;
  TopNSelector& operator=(const TopNSelector&) = delete;

  // Empties the accumulator.
  void begin();
  // Adds the minute's counts (if it has a table).
  void add_minute(const DeviceWindowTable& table, int64_t minute);
  // The top `top_n` (any order) of every slot in [0, slots) over everything added since
  // begin(), ties at the N-th place settled by the ads' names. Synchronous.
  void candidates(uint32_t top_n, uint32_t slots, const NamesRef& names, std::vector<TopNCandidate>& out);

 private:
  void reduce();
  void check_error();

  sys::Stream stream_;
  unsigned* d_error_;
  sys::Scratch temp_;
  uint64_t acc_n_ = 0;      // entries in keys_/counts_
  uint64_t reduced_n_ = 0;  // entries left by the last reduce
  bool dirty_ = false;      // entries added since the last reduce
  DeviceArray<unsigned long long> keys_, counts_, tmp_keys_, tmp_counts_;
  DeviceArray<unsigned long long> rank_, rank_sorted_, out_rank_;
  DeviceArray<uint32_t> ad_, ad_sorted_, out_ad_;
  DeviceArray<unsigned long long> ties_;  // (slot << 32 | ad) tied at the N-th place
  DeviceArray<unsigned long long> seg_begin_, seg_end_, strict_, tied_, need_, tie_begin_;
  DeviceArray<unsigned long long> cursor_;  // [0] accumulator, [1] output, [2] ties
  std::vector<unsigned long long> host_rank_;
  std::vector<uint32_t> host_ad_;
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
