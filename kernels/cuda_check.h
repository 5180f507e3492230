// Every CUDA runtime call is checked at the boundary and a failure becomes an exception the
// engine's callers already handle (std::runtime_error), naming the call and the place; an
// allocation failure says "GPU out of memory" instead of crashing later.
#pragma once
#include <cuda_runtime.h>

namespace clickagg::gpu {

[[noreturn]] void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line);

inline void check_cuda(cudaError_t err, const char* call, const char* file, int line) {
  if (err != cudaSuccess) throw_cuda_error(err, call, file, line);
}

}  // namespace clickagg::gpu

#define CLICKAGG_CUDA(call) ::clickagg::gpu::check_cuda((call), #call, __FILE__, __LINE__)
// After a kernel launch: launch configuration errors surface here, execution errors at the
// next synchronisation.
#define CLICKAGG_CUDA_LAUNCHED(kernel) \
  ::clickagg::gpu::check_cuda(cudaGetLastError(), "launch of " #kernel, __FILE__, __LINE__)
