// The two-call temporary-storage pattern of CUB device algorithms, with one growing buffer:
//
//   CubTemp temp(stream);
//   temp.run([&](void* d_temp, size_t& bytes) {
//     return cub::DeviceRadixSort::SortKeys(d_temp, bytes, d_in, d_out, n, 0, 64, stream);
//   });
//
// The first call (null storage) asks for the size, the second runs the algorithm.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>

#include "kernels/cuda_check.h"
#include "kernels/device_memory.h"

namespace clickagg::gpu::dispatch {

class CubTemp {
 public:
  explicit CubTemp(cudaStream_t stream) : buf_(stream) {}

  template <class Call>
  void run(Call&& call) {
    size_t bytes = 0;
    CLICKAGG_CUDA(call(static_cast<void*>(nullptr), bytes));
    buf_.reserve_discard(std::max<size_t>(bytes, 1));
    bytes = buf_.size();
    CLICKAGG_CUDA(call(static_cast<void*>(buf_.data()), bytes));
  }

 private:
  DeviceArray<unsigned char> buf_;
};

}  // namespace clickagg::gpu::dispatch
