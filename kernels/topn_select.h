// Top-N selection on the device: per slot, the top N groups of a set of (key, count) groups
// (a minute's counts, or a long window's sums: device_sliding_sum.h), exactly min(N, groups)
// per slot, copied back.
//
// Exact tie-breaks: the ranking is count descending, then ad_id bytes ascending. The device
// sorts each slot's sums by count; the entries above the N-th count are in; of those tied with
// the N-th count (usually none past the N-th place), the first by name bytes are in, sorted on
// the device with the dictionary's names (SlotNameLess). The result equals the CPU engine's.
//
// Example (tests/gpu/device_window_table_test.cpp):
//   TopNSelector sel(stream, d_error);
//   sel.minute_candidates(table, e, 100, slots, names, out);   // window of 1
//   sel.candidates(sum.groups(), 100, slots, names, out);      // a longer window's sums
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

  // The top `top_n` (any order) of every slot in [0, slots) of `groups`, ties at the N-th
  // place settled by the ads' names. Synchronous.
  void candidates(const GroupsRef& groups, uint32_t top_n, uint32_t slots, const NamesRef& names,
                  std::vector<TopNCandidate>& out);
  // The same over one minute's counts (none if the minute has no table).
  void minute_candidates(const DeviceWindowTable& table, int64_t minute, uint32_t top_n, uint32_t slots,
                         const NamesRef& names, std::vector<TopNCandidate>& out);

 private:
  void check_error();

  sys::Stream stream_;
  unsigned* d_error_;
  sys::Scratch temp_;
  DeviceArray<unsigned long long> keys_, counts_;  // a minute's counts, gathered
  DeviceArray<unsigned long long> rank_, rank_sorted_, out_rank_;
  DeviceArray<uint32_t> ad_, ad_sorted_, out_ad_;
  DeviceArray<unsigned long long> ties_;  // (slot << 32 | ad) tied at the N-th place
  DeviceArray<unsigned long long> seg_begin_, seg_end_, strict_, tied_, need_, tie_begin_;
  DeviceArray<unsigned long long> cursor_;  // [0] gather, [1] output, [2] ties
  std::vector<unsigned long long> host_rank_;
  std::vector<uint32_t> host_ad_;
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
