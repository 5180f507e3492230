#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "kernels/gpu_engine.h"

namespace clickagg::gpu {

bool device_available(std::string* why_not) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    if (why_not) *why_not = cudaGetErrorString(err);
    return false;
  }
  if (count == 0) {
    if (why_not) *why_not = "no CUDA device found";
    return false;
  }
  return true;
}

}  // namespace clickagg::gpu
