#include <cuda_runtime.h>

#include <mutex>
#include <stdexcept>
#include <string>

#include "kernels/gpu_engine.h"

namespace clickagg::gpu {

namespace {

__global__ void probe_kernel(unsigned* out) { *out = 0xC11C4A66u; }

// Counting devices is not enough: a device of another architecture than the one this build's
// machine code is for (sm_90), or a driver too old for the runtime, shows up and then fails
// its first launch. So a one-thread kernel must run and write its word.
std::string probe(int device) {
  cudaError_t err = cudaSetDevice(device);
  if (err != cudaSuccess) return std::string("cannot select device 0: ") + cudaGetErrorString(err);
  unsigned* d = nullptr;
  err = cudaMalloc(&d, sizeof(unsigned));
  if (err != cudaSuccess) return std::string("cannot allocate on the device: ") + cudaGetErrorString(err);
  probe_kernel<<<1, 1>>>(d);
  err = cudaGetLastError();
  unsigned got = 0;
  if (err == cudaSuccess) err = cudaMemcpy(&got, d, sizeof got, cudaMemcpyDeviceToHost);
  (void)cudaFree(d);
  if (err == cudaErrorNoKernelImageForDevice || err == cudaErrorUnsupportedPtxVersion) {
    cudaDeviceProp prop{};
    (void)cudaGetDeviceProperties(&prop, device);
    return std::string("device 0 (") + prop.name + ", compute capability " + std::to_string(prop.major) + "." +
           std::to_string(prop.minor) + ") cannot run this build's code for sm_" CLICKAGG_CUDA_ARCH_STR ": " +
           cudaGetErrorString(err);
  }
  if (err != cudaSuccess) return std::string("a probe kernel failed: ") + cudaGetErrorString(err);
  if (got != 0xC11C4A66u) return "a probe kernel ran but did not write its result";
  return {};
}

}  // namespace

bool device_available(std::string* why_not) {
  // Probed once per process: the answer does not change, and the probe costs a context.
  static std::once_flag once;
  static std::string why;
  std::call_once(once, [] {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) why = cudaGetErrorString(err);
    else if (count == 0) why = "no CUDA device found";
    else why = probe(0);
  });
  if (!why.empty() && why_not) *why_not = why;
  return why.empty();
}

}  // namespace clickagg::gpu
