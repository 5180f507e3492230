// The CUDA engine behind the Engine interface.
#pragma once
#include <memory>
#include <string>

#include "host/engine/engine.h"

namespace clickagg::gpu {

// True when a CUDA device can be opened; otherwise `why_not` says why.
bool device_available(std::string* why_not);
std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config);

}  // namespace clickagg::gpu
