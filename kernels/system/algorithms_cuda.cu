// The CUDA system's device-wide algorithms (algorithms.h): CUB, with the two-call temporary
// storage pattern (the first call, with null storage, asks for the size).
#include <cub/device/device_merge.cuh>
#include <cub/device/device_merge_sort.cuh>
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_reduce.cuh>
#include <cub/device/device_run_length_encode.cuh>
#include <cub/device/device_scan.cuh>
#include <cuda/functional>
#include <cuda/std/functional>
#include <stdexcept>

#include "kernels/system/algorithms.h"

namespace clickagg::gpu::sys {

namespace {

// CUB counts items in int.
int items(size_t n) {
  if (n > 0x7FFFFFFFu) throw std::logic_error("GPU engine: more items than one device algorithm call takes");
  return static_cast<int>(n);
}

void checked(cudaError_t err, const char* call) {
  if (err == cudaSuccess) return;
  (void)cudaGetLastError();
  if (err == cudaErrorMemoryAllocation) throw_out_of_memory(call);
  throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorName(err) + " (" + call + ")");
}

template <class Call>
void run(Scratch& s, const char* name, Call&& call) {
  size_t bytes = 0;
  checked(call(static_cast<void*>(nullptr), bytes), name);
  void* temp = s.reserve(bytes);
  bytes = s.size();
  checked(call(temp, bytes), name);
}

}  // namespace

void exclusive_sum(Scratch& s, const uint32_t* in, uint32_t* out, size_t n) {
  run(s, "cub::DeviceScan::ExclusiveSum", [&](void* t, size_t& b) {
    return cub::DeviceScan::ExclusiveSum(t, b, in, out, items(n), s.stream());
  });
}

void exclusive_max(Scratch& s, const int64_t* in, int64_t* out, size_t n, int64_t init) {
  run(s, "cub::DeviceScan::ExclusiveScan", [&](void* t, size_t& b) {
    return cub::DeviceScan::ExclusiveScan(t, b, in, out, ::cuda::maximum<int64_t>{}, init, items(n), s.stream());
  });
}

void sort_keys(Scratch& s, const unsigned long long* in, unsigned long long* out, size_t n, int begin_bit, int end_bit) {
  run(s, "cub::DeviceRadixSort::SortKeys", [&](void* t, size_t& b) {
    return cub::DeviceRadixSort::SortKeys(t, b, in, out, items(n), begin_bit, end_bit, s.stream());
  });
}

void sort_keys(Scratch& s, const uint32_t* in, uint32_t* out, size_t n, int begin_bit, int end_bit) {
  run(s, "cub::DeviceRadixSort::SortKeys", [&](void* t, size_t& b) {
    return cub::DeviceRadixSort::SortKeys(t, b, in, out, items(n), begin_bit, end_bit, s.stream());
  });
}

void sort_pairs(Scratch& s, const unsigned long long* keys_in, unsigned long long* keys_out,
                const unsigned long long* values_in, unsigned long long* values_out, size_t n, int begin_bit,
                int end_bit) {
  run(s, "cub::DeviceRadixSort::SortPairs", [&](void* t, size_t& b) {
    return cub::DeviceRadixSort::SortPairs(t, b, keys_in, keys_out, values_in, values_out, items(n), begin_bit, end_bit,
                                           s.stream());
  });
}

void sort_pairs(Scratch& s, const unsigned long long* keys_in, unsigned long long* keys_out, const uint32_t* values_in,
                uint32_t* values_out, size_t n, int begin_bit, int end_bit) {
  run(s, "cub::DeviceRadixSort::SortPairs", [&](void* t, size_t& b) {
    return cub::DeviceRadixSort::SortPairs(t, b, keys_in, keys_out, values_in, values_out, items(n), begin_bit, end_bit,
                                           s.stream());
  });
}

void merge_pairs(Scratch& s, const unsigned long long* keys1, const unsigned long long* values1, size_t n1,
                 const unsigned long long* keys2, const unsigned long long* values2, size_t n2,
                 unsigned long long* keys_out, unsigned long long* values_out) {
  run(s, "cub::DeviceMerge::MergePairs", [&](void* t, size_t& b) {
    return cub::DeviceMerge::MergePairs(t, b, keys1, values1, static_cast<int64_t>(n1), keys2, values2,
                                        static_cast<int64_t>(n2), keys_out, values_out, ::cuda::std::less<>{},
                                        s.stream());
  });
}

void sort_by_slot_and_name(Scratch& s, unsigned long long* keys, size_t n, const NamesRef& names) {
  run(s, "cub::DeviceMergeSort::SortKeys", [&](void* t, size_t& b) {
    return cub::DeviceMergeSort::SortKeys(t, b, keys, items(n), SlotNameLess{names}, s.stream());
  });
}

void sort_pairs_by_slot_and_name(Scratch& s, unsigned long long* keys, unsigned long long* values, size_t n,
                                 const NamesRef& names) {
  run(s, "cub::DeviceMergeSort::SortPairs", [&](void* t, size_t& b) {
    return cub::DeviceMergeSort::SortPairs(t, b, keys, values, items(n), SlotNameLess{names}, s.stream());
  });
}

void run_length_encode(Scratch& s, const unsigned long long* in, unsigned long long* unique, uint32_t* lengths,
                       int* d_runs, size_t n) {
  run(s, "cub::DeviceRunLengthEncode::Encode", [&](void* t, size_t& b) {
    return cub::DeviceRunLengthEncode::Encode(t, b, in, unique, lengths, d_runs, items(n), s.stream());
  });
}

void run_length_encode(Scratch& s, const uint32_t* in, uint32_t* unique, uint32_t* lengths, int* d_runs, size_t n) {
  run(s, "cub::DeviceRunLengthEncode::Encode", [&](void* t, size_t& b) {
    return cub::DeviceRunLengthEncode::Encode(t, b, in, unique, lengths, d_runs, items(n), s.stream());
  });
}

void reduce_by_key(Scratch& s, const unsigned long long* keys_in, unsigned long long* keys_out,
                   const unsigned long long* values_in, unsigned long long* values_out, unsigned long long* d_runs,
                   size_t n) {
  run(s, "cub::DeviceReduce::ReduceByKey", [&](void* t, size_t& b) {
    return cub::DeviceReduce::ReduceByKey(t, b, keys_in, keys_out, values_in, values_out, d_runs, ::cuda::std::plus<>{},
                                          items(n), s.stream());
  });
}

}  // namespace clickagg::gpu::sys
