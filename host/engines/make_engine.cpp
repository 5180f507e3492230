#include "host/engines/engines.h"

#include <stdexcept>
#include <string>

#if defined(CLICKAGG_HAVE_CUDA)
#include "kernels/gpu_engine.h"
#endif
#if defined(CLICKAGG_HAVE_GPU_PORTABLE)
#include "kernels/portable_engine.h"
#endif

namespace clickagg {

bool gpu_available(std::string* why_not) {
#if defined(CLICKAGG_HAVE_CUDA)
  return gpu::device_available(why_not);
#else
  if (why_not) *why_not = "this build has no CUDA support";
  return false;
#endif
}

// Whether `auto` may pick the GPU engine: not until it has passed bench/gpu_check.sh on a GPU
// (bench/RESULTS.md records the commit and the GPU). Until then auto means the CPU engine, and
// the GPU engine runs only when asked for by name.
constexpr bool kGpuEngineVerified = false;

std::unique_ptr<Engine> make_engine(EngineKind kind, const EngineConfig& config) {
  std::string why;
  switch (kind) {
    case EngineKind::Cpu:
      return make_cpu_engine(config);
    case EngineKind::Auto:
      if (!kGpuEngineVerified || !gpu_available(&why)) return make_cpu_engine(config);
#if defined(CLICKAGG_HAVE_CUDA)
      try {
        return gpu::make_gpu_engine(config);
      } catch (const std::runtime_error&) {
        return make_cpu_engine(config);  // a device that cannot host the engine: the CPU can
      }
#endif
      [[fallthrough]];
    case EngineKind::Gpu:
#if defined(CLICKAGG_HAVE_CUDA)
      if (!gpu_available(&why)) throw std::runtime_error("--engine gpu: no usable GPU (" + why + ")");
      return gpu::make_gpu_engine(config);
#else
      gpu_available(&why);
      throw std::runtime_error("--engine gpu: no usable GPU (" + why + ")");
#endif
    case EngineKind::GpuPortable:
#if defined(CLICKAGG_HAVE_GPU_PORTABLE)
      return gpu_portable::make_gpu_engine(config);
#else
      throw std::runtime_error("--engine gpu-portable: this build has no portable GPU engine (it needs the CUDA "
                               "toolkit's headers and OpenMP)");
#endif
  }
  throw std::logic_error("unknown engine kind");
}

}  // namespace clickagg
