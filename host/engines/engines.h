// Choosing an engine by kind: above both the CPU engine (host/engine) and the GPU engine's
// builds (kernels/), so neither depends on the other and the choice is made in one place.
#pragma once
#include <memory>
#include <string>

#include "host/engine/engine.h"

namespace clickagg {

// GpuPortable: the GPU engine's device algorithm built for the host (kernels/portable_engine.h),
// slower than the CPU engine; it exists so machines without a GPU test that algorithm.
enum class EngineKind { Cpu, Gpu, GpuPortable, Auto };

// Throws std::runtime_error when the kind cannot run here (gpu without a device).
std::unique_ptr<Engine> make_engine(EngineKind kind, const EngineConfig& config);
bool gpu_available(std::string* why_not = nullptr);

}  // namespace clickagg
