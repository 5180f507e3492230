// The GPU engine's device algorithm built for the host (kernels/system/system.h): the engine
// `gpu-portable`, with the CUDA engine's results, for machines and tests without a GPU.
// Declared here without the device-system macros so the engine factory can name it beside
// the CUDA engine.
#pragma once
#include <memory>

#include "host/engine/engine.h"

namespace clickagg::gpu_portable {

std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config);

}  // namespace clickagg::gpu_portable
