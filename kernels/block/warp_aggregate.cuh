// Warp-level aggregation: a warp turns many atomics on the same few addresses (one minute's
// counters, one output cursor) into one atomic per distinct address. Hot keys then cost a
// warp one atomic instead of 32 serialised ones.
//
// Both helpers must be called by all 32 lanes of the warp together (kernels use warp-uniform
// loops: every lane runs the same iterations, lanes past the end pass active/keep = false).
#pragma once
#include <cstdint>

namespace clickagg::gpu::block {

constexpr unsigned kFullWarp = 0xFFFFFFFFu;

__device__ __forceinline__ unsigned lane_id() { return threadIdx.x & 31u; }

// counters[key] += number of active lanes holding `key`, one atomicAdd per distinct key.
__device__ __forceinline__ void warp_count(unsigned* counters, uint32_t key, bool active) {
  const unsigned mask = __ballot_sync(kFullWarp, active);
  if (!active) return;
  const unsigned peers = __match_any_sync(mask, key);
  if (lane_id() == static_cast<unsigned>(__ffs(peers) - 1)) atomicAdd(counters + key, static_cast<unsigned>(__popc(peers)));
}

// Reserves one output position per lane with `keep` (positions are consecutive within the
// warp, in lane order) with a single atomicAdd on `cursor`; lanes without `keep` get junk.
__device__ __forceinline__ unsigned long long warp_append(unsigned long long* cursor, bool keep) {
  const unsigned mask = __ballot_sync(kFullWarp, keep);
  if (mask == 0) return 0;
  const unsigned leader = static_cast<unsigned>(__ffs(mask) - 1);
  unsigned long long base = 0;
  if (lane_id() == leader) base = atomicAdd(cursor, static_cast<unsigned long long>(__popc(mask)));
  base = __shfl_sync(kFullWarp, base, static_cast<int>(leader));
  return base + static_cast<unsigned>(__popc(mask & ((1u << lane_id()) - 1u)));
}

}  // namespace clickagg::gpu::block
