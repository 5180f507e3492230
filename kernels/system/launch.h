// Running a kernel body over n elements, for either system (system.h). A body is a trivially
// copyable functor (its members are what a kernel's arguments were) with
//
//   CLICKAGG_DEV void operator()(unsigned long long i, bool active) const;
//
// called for every i; `active` is false for the lanes past n that a CUDA warp runs alongside
// the last elements, so warp-wide helpers (warp.h) see every lane of the warp. A body must
// touch nothing of element i when !active. On CUDA: a grid-stride kernel on the stream (sizes
// in dispatch/launch_policy.h); on the host: an OpenMP loop over the elements, in parallel,
// returning when all are done.
//
// Included by kernel sources only (.cu files, and their host-system builds in portable/).
#pragma once
#include "kernels/system/runtime.h"
#include "kernels/system/system.h"

#if !defined(CLICKAGG_DEVICE_HOST)
#include "kernels/dispatch/launch_policy.h"
#endif

namespace clickagg::CLICKAGG_DEVICE_NS::sys {

#if defined(CLICKAGG_DEVICE_HOST)

template <class Body>
void launch(Stream, unsigned long long n, const Body& body, const char*) {
  // Static schedule: every body is about as costly as the next (a probe or two).
#pragma omp parallel for schedule(static)
  for (unsigned long long i = 0; i < n; ++i) body(i, true);
}

#else

template <class Body>
__global__ void grid_stride_kernel(unsigned long long n, Body body) {
  // Warp-uniform: every lane runs the same iterations, lanes past n with active = false.
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  for (unsigned long long base = blockIdx.x * static_cast<unsigned long long>(blockDim.x); base < n; base += stride) {
    const unsigned long long i = base + threadIdx.x;
    body(i, i < n);
  }
}

template <class Body>
void launch(Stream stream, unsigned long long n, const Body& body, const char* name) {
  if (n == 0) return;
  grid_stride_kernel<Body><<<dispatch::grid_for(n), dispatch::kBlockThreads, 0, stream>>>(n, body);
  check_launch(name);
}

#endif

}  // namespace clickagg::CLICKAGG_DEVICE_NS::sys
