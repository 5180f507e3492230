// The GPU engine behind the Engine interface: EngineDriver over a GpuBackend (gpu_backend.h),
// on the device system this translation unit is built for (system/system.h): `gpu` on CUDA,
// `gpu-portable` on the host.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "host/engine/engine.h"
#include "kernels/system/system.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

// Tuning of the device pipeline; results never depend on these (tests vary them).
struct GpuOptions {
  int device = 0;                               // CUDA device ordinal (the host system has one)
  size_t chunk_events = size_t(1) << 22;        // events per device chunk (batches are split)
  uint64_t min_table_slots = 1024;              // first capacity of each minute's tables
  // Device buffers (event times, chunk rows) for this many events are allocated when the
  // engine is made, instead of growing with the first batches (benchmarks, latency).
  size_t staging_events = 0;
  // Batches of at most this many events (and one chunk) are judged and counted behind one
  // synchronisation (minute_directory.h); larger ones take two, which cost little beside their
  // work, and need no table to keep room for a whole batch ahead of its events.
  size_t directory_events = size_t(1) << 18;
  // Failure injection for tests: the chunk (counted from 1 across every engine sharing the
  // counter, restored ones too) at which the backend fails as if the device ran out of
  // memory, once. Unset: never. make_gpu_engine(config) takes it from the environment
  // variable CLICKAGG_GPU_FAIL_AT_CHUNK, so process-level tests can reach it.
  uint64_t fail_at_chunk = 0;
  std::shared_ptr<std::atomic<uint64_t>> chunks_run = std::make_shared<std::atomic<uint64_t>>(0);
};

// True when a CUDA device can be opened and runs this build's code (a probe kernel launched
// once per process); otherwise `why_not` says why. Always true on the host system.
bool device_available(std::string* why_not);
// Throws std::runtime_error when no device is usable, std::invalid_argument on a bad config.
// make_gpu_engine(config) reads CLICKAGG_GPU_FAIL_AT_CHUNK (GpuOptions::fail_at_chunk).
std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config);
std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config, const GpuOptions& options);

}  // namespace clickagg::CLICKAGG_DEVICE_NS
