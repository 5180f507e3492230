// The CUDA engine entry point. The device pipeline is not part of this build yet: asking for
// it fails with a clear message instead of silently running something else.
#include <stdexcept>

#include "kernels/gpu_engine.h"

namespace clickagg::gpu {

std::unique_ptr<Engine> make_gpu_engine(const EngineConfig&) {
  throw std::runtime_error("the CUDA engine is not available in this build; use --engine cpu");
}

}  // namespace clickagg::gpu
