#include "kernels/cuda_check.h"

#include <stdexcept>
#include <string>

namespace clickagg::gpu {

void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  // Clears a non-sticky error (such as a failed allocation) so the engine can still be torn
  // down cleanly; sticky errors stay, and every later call reports them again.
  (void)cudaGetLastError();
  const std::string where = std::string(call) + " at " + file + ":" + std::to_string(line);
  if (err == cudaErrorMemoryAllocation)
    throw std::runtime_error("GPU out of memory (" + where +
                             "): use smaller batches, fewer retained minutes or --engine cpu");
  throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorName(err) + ": " + cudaGetErrorString(err) +
                           " (" + where + ")");
}

}  // namespace clickagg::gpu
