// The CUDA engine behind the Engine interface (design and exactness notes: gpu_engine_impl.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "host/engine/engine.h"

namespace clickagg::gpu {

// Tuning of the device pipeline; results never depend on these (tests vary them).
struct GpuOptions {
  int device = 0;                               // CUDA device ordinal
  size_t chunk_events = size_t(1) << 22;        // events per device chunk (batches are split)
  uint64_t min_table_slots = 1024;              // first capacity of each minute's tables
};

// True when a CUDA device can be opened; otherwise `why_not` says why.
bool device_available(std::string* why_not);
// Throws std::runtime_error when no device is usable, std::invalid_argument on a bad config.
std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config);
std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config, const GpuOptions& options);

}  // namespace clickagg::gpu
