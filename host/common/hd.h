// Marks functions shared by host code and CUDA kernels, so pure logic is written once and
// the CPU tests cover what the GPU runs.
#pragma once
#if defined(__CUDACC__)
#define CLICKAGG_HD __host__ __device__ __forceinline__
#else
#define CLICKAGG_HD inline
#endif
