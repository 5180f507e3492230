// Which device system a translation unit of kernels/ is built for. The same sources build
// twice: for CUDA (nvcc, namespace clickagg::gpu, the engine `gpu`) and, with
// CLICKAGG_DEVICE_HOST defined, for the host (g++ with OpenMP and Thrust's OpenMP system,
// namespace clickagg::gpu_portable, the engine `gpu-portable`), so machines without a GPU run
// the device algorithm itself. Each system has its own namespace: both link into one binary.
#pragma once
#include "host/common/hd.h"

#if defined(CLICKAGG_DEVICE_HOST)
#define CLICKAGG_DEVICE_NS gpu_portable
#define CLICKAGG_DEVICE_SYSTEM_NAME "gpu-portable"
#else
#define CLICKAGG_DEVICE_NS gpu
#define CLICKAGG_DEVICE_SYSTEM_NAME "gpu"
#endif

// Functions that run per element on the device (kernel bodies and what they call).
#if defined(__CUDACC__)
#define CLICKAGG_DEV __device__ __forceinline__
#else
#define CLICKAGG_DEV inline
#endif
