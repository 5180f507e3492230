// Launch settings for every kernel of the engine, in one place.
//
// All kernels are memory- or atomic-bound loops over arrays; they use grid-stride loops, so
// correctness never depends on the grid size. 256 threads per block is the usual sweet spot
// for such kernels on sm_90 (enough warps per SM to hide latency at any register count these
// kernels reach); the grid is capped at 32 blocks per SM, beyond which a grid-stride loop
// gains nothing. These are choices, not measurements: no GPU has run this code yet; revisit
// them with bench/gpu_perf.sh (kernels/NOTES.md).
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace clickagg::gpu::dispatch {

constexpr unsigned kBlockThreads = 256;
constexpr unsigned kBlocksPerSm = 32;

inline unsigned sm_count() {
  static const unsigned count = [] {
    int dev = 0, sms = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess ||
        sms <= 0)
      return 132u;  // an H100 SXM; only the grid cap depends on it
    return static_cast<unsigned>(sms);
  }();
  return count;
}

// Blocks for a grid-stride loop over n items (at least one block).
inline unsigned grid_for(size_t n) {
  const size_t blocks = (n + kBlockThreads - 1) / kBlockThreads;
  return static_cast<unsigned>(std::clamp<size_t>(blocks, 1, static_cast<size_t>(sm_count()) * kBlocksPerSm));
}

}  // namespace clickagg::gpu::dispatch
