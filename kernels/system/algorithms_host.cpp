// The host system's device-wide algorithms (algorithms.h): Thrust's OpenMP system on the
// "device" arrays, which are host memory here. Stable sorts compare the keys' bits
// [begin_bit, end_bit) only, as CUB's radix sort does.
#include <thrust/copy.h>
#include <thrust/functional.h>
#include <thrust/iterator/constant_iterator.h>
#include <thrust/merge.h>
#include <thrust/reduce.h>
#include <thrust/scan.h>
#include <thrust/sort.h>
#include <thrust/system/omp/execution_policy.h>

#include "kernels/system/algorithms.h"

namespace clickagg::gpu_portable::sys {

namespace {

struct BitsLess {
  unsigned long long mask;
  template <class T>
  bool operator()(T a, T b) const {
    return (a & mask) < (b & mask);
  }
};

BitsLess bits_less(int begin_bit, int end_bit) {
  const unsigned long long high = end_bit >= 64 ? ~0ull : (1ull << end_bit) - 1;
  const unsigned long long low = begin_bit <= 0 ? 0 : (1ull << begin_bit) - 1;
  return BitsLess{high & ~low};
}

}  // namespace

void exclusive_sum(Scratch&, const uint32_t* in, uint32_t* out, size_t n) {
  thrust::exclusive_scan(thrust::omp::par, in, in + n, out, 0u);
}

void exclusive_max(Scratch&, const int64_t* in, int64_t* out, size_t n, int64_t init) {
  thrust::exclusive_scan(thrust::omp::par, in, in + n, out, init, thrust::maximum<int64_t>());
}

void sort_keys(Scratch&, const unsigned long long* in, unsigned long long* out, size_t n, int begin_bit, int end_bit) {
  thrust::copy(thrust::omp::par, in, in + n, out);
  thrust::stable_sort(thrust::omp::par, out, out + n, bits_less(begin_bit, end_bit));
}

void sort_keys(Scratch&, const uint32_t* in, uint32_t* out, size_t n, int begin_bit, int end_bit) {
  thrust::copy(thrust::omp::par, in, in + n, out);
  thrust::stable_sort(thrust::omp::par, out, out + n, bits_less(begin_bit, end_bit));
}

void sort_pairs(Scratch&, const unsigned long long* keys_in, unsigned long long* keys_out,
                const unsigned long long* values_in, unsigned long long* values_out, size_t n, int begin_bit,
                int end_bit) {
  thrust::copy(thrust::omp::par, keys_in, keys_in + n, keys_out);
  thrust::copy(thrust::omp::par, values_in, values_in + n, values_out);
  thrust::stable_sort_by_key(thrust::omp::par, keys_out, keys_out + n, values_out, bits_less(begin_bit, end_bit));
}

void sort_pairs(Scratch&, const unsigned long long* keys_in, unsigned long long* keys_out, const uint32_t* values_in,
                uint32_t* values_out, size_t n, int begin_bit, int end_bit) {
  thrust::copy(thrust::omp::par, keys_in, keys_in + n, keys_out);
  thrust::copy(thrust::omp::par, values_in, values_in + n, values_out);
  thrust::stable_sort_by_key(thrust::omp::par, keys_out, keys_out + n, values_out, bits_less(begin_bit, end_bit));
}

void merge_pairs(Scratch&, const unsigned long long* keys1, const unsigned long long* values1, size_t n1,
                 const unsigned long long* keys2, const unsigned long long* values2, size_t n2,
                 unsigned long long* keys_out, unsigned long long* values_out) {
  thrust::merge_by_key(thrust::omp::par, keys1, keys1 + n1, keys2, keys2 + n2, values1, values2, keys_out, values_out);
}

void sort_by_slot_and_name(Scratch&, unsigned long long* items, size_t n, const NamesRef& names) {
  thrust::sort(thrust::omp::par, items, items + n, SlotNameLess{names});
}

void sort_pairs_by_slot_and_name(Scratch&, unsigned long long* keys, unsigned long long* values, size_t n,
                                 const NamesRef& names) {
  thrust::sort_by_key(thrust::omp::par, keys, keys + n, values, SlotNameLess{names});
}

void run_length_encode(Scratch&, const unsigned long long* in, unsigned long long* unique, uint32_t* lengths,
                       int* d_runs, size_t n) {
  const auto end = thrust::reduce_by_key(thrust::omp::par, in, in + n, thrust::constant_iterator<uint32_t>(1), unique,
                                         lengths);
  *d_runs = static_cast<int>(end.first - unique);
}

void run_length_encode(Scratch&, const uint32_t* in, uint32_t* unique, uint32_t* lengths, int* d_runs, size_t n) {
  const auto end = thrust::reduce_by_key(thrust::omp::par, in, in + n, thrust::constant_iterator<uint32_t>(1), unique,
                                         lengths);
  *d_runs = static_cast<int>(end.first - unique);
}

void reduce_by_key(Scratch&, const unsigned long long* keys_in, unsigned long long* keys_out,
                   const unsigned long long* values_in, unsigned long long* values_out, unsigned long long* d_runs,
                   size_t n) {
  const auto end = thrust::reduce_by_key(thrust::omp::par, keys_in, keys_in + n, values_in, keys_out, values_out);
  *d_runs = static_cast<unsigned long long>(end.first - keys_out);
}

}  // namespace clickagg::gpu_portable::sys
