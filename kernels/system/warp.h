// Counting and appending from kernel bodies. On CUDA a warp turns many atomics on the same few
// addresses (one minute's counters, one output cursor) into one atomic per distinct address,
// so hot keys cost a warp one atomic instead of 32 serialised ones; these must then be called
// by all 32 lanes together, which launch.h's warp-uniform loop guarantees (lanes past the end
// pass active/keep = false). The host system's twin is one atomic per element: the same
// totals, and the positions handed out are distinct either way (their order is unspecified).
#pragma once
#include <cstdint>

#include "kernels/system/atomics.h"
#include "kernels/system/system.h"

namespace clickagg::CLICKAGG_DEVICE_NS::sys {

#if defined(__CUDACC__)

constexpr unsigned kFullWarp = 0xFFFFFFFFu;

__device__ __forceinline__ unsigned lane_id() { return threadIdx.x & 31u; }

// counters[key] += number of active lanes holding `key`.
__device__ __forceinline__ void count_into(unsigned* counters, uint32_t key, bool active) {
  const unsigned mask = __ballot_sync(kFullWarp, active);
  if (!active) return;
  const unsigned peers = __match_any_sync(mask, key);
  if (lane_id() == static_cast<unsigned>(__ffs(peers) - 1)) fetch_add(counters + key, static_cast<unsigned>(__popc(peers)));
}

// One output position per lane with `keep` (consecutive within the warp, in lane order) from
// one atomicAdd on `cursor`; lanes without `keep` get junk.
__device__ __forceinline__ unsigned long long append_slot(unsigned long long* cursor, bool keep) {
  const unsigned mask = __ballot_sync(kFullWarp, keep);
  if (mask == 0) return 0;
  const unsigned leader = static_cast<unsigned>(__ffs(mask) - 1);
  unsigned long long base = 0;
  if (lane_id() == leader) base = fetch_add(cursor, static_cast<unsigned long long>(__popc(mask)));
  base = __shfl_sync(kFullWarp, base, static_cast<int>(leader));
  return base + static_cast<unsigned>(__popc(mask & ((1u << lane_id()) - 1u)));
}

// `count` consecutive output positions per lane (none for 0), consecutive within the warp in
// lane order, from one atomicAdd on `cursor`: the first of the lane's positions.
__device__ __forceinline__ unsigned long long append_slots(unsigned long long* cursor, uint32_t count) {
  uint32_t upto = count;  // inclusive sum over the lanes up to this one
  for (unsigned d = 1; d < 32; d <<= 1) {
    const uint32_t v = __shfl_up_sync(kFullWarp, upto, d);
    if (lane_id() >= d) upto += v;
  }
  const uint32_t total = __shfl_sync(kFullWarp, upto, 31);
  if (total == 0) return 0;
  unsigned long long base = 0;
  if (lane_id() == 31) base = fetch_add(cursor, static_cast<unsigned long long>(total));
  base = __shfl_sync(kFullWarp, base, 31);
  return base + (upto - count);
}

#else

inline void count_into(unsigned* counters, uint32_t key, bool active) {
  if (active) fetch_add(counters + key, 1u);
}

inline unsigned long long append_slot(unsigned long long* cursor, bool keep) {
  return keep ? fetch_add(cursor, 1ull) : 0;
}

inline unsigned long long append_slots(unsigned long long* cursor, uint32_t count) {
  return count != 0 ? fetch_add(cursor, static_cast<unsigned long long>(count)) : 0;
}

#endif

}  // namespace clickagg::CLICKAGG_DEVICE_NS::sys
