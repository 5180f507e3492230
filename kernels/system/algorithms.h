// The device-wide algorithms the engine uses, for either system (system.h), on device
// pointers and in the order of a stream. CUDA: CUB's radix sort, scan, run-length encode and
// reduce-by-key, with their temporary storage in a growing Scratch buffer
// (algorithms_cuda.cu). Host: Thrust's OpenMP system (algorithms_host.cpp). Sorts are stable
// on both and look at key bits [begin_bit, end_bit) only (keys have no other bits set).
// Counts written to device memory (`d_runs`) are read back by the caller after a sync.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/device_layout.h"
#include "kernels/device_memory.h"
#include "kernels/system/runtime.h"
#include "kernels/system/system.h"

namespace clickagg::CLICKAGG_DEVICE_NS::sys {

// Temporary storage of the algorithms on one stream (unused by the host system).
class Scratch {
 public:
  explicit Scratch(Stream stream) : stream_(stream), buf_(stream) {}
  Stream stream() const { return stream_; }
  // Room for `bytes`; the old contents are dropped.
  void* reserve(size_t bytes) {
    buf_.reserve_discard(bytes > 0 ? bytes : 1);
    return buf_.data();
  }
  size_t size() const { return buf_.size(); }

 private:
  Stream stream_;
  DeviceArray<unsigned char> buf_;
};

// out[i] = in[0] + ... + in[i - 1]; out[0] = 0.
void exclusive_sum(Scratch& s, const uint32_t* in, uint32_t* out, size_t n);
// out[i] = max(init, in[0], ..., in[i - 1]); out[0] = init.
void exclusive_max(Scratch& s, const int64_t* in, int64_t* out, size_t n, int64_t init);
void sort_keys(Scratch& s, const unsigned long long* in, unsigned long long* out, size_t n, int begin_bit, int end_bit);
void sort_keys(Scratch& s, const uint32_t* in, uint32_t* out, size_t n, int begin_bit, int end_bit);
void sort_pairs(Scratch& s, const unsigned long long* keys_in, unsigned long long* keys_out,
                const unsigned long long* values_in, unsigned long long* values_out, size_t n, int begin_bit,
                int end_bit);
void sort_pairs(Scratch& s, const unsigned long long* keys_in, unsigned long long* keys_out, const uint32_t* values_in,
                uint32_t* values_out, size_t n, int begin_bit, int end_bit);
// Merges two runs of (key, value) pairs, each sorted by key, into one sorted run of n1 + n2
// pairs (the order of equal keys is unspecified).
void merge_pairs(Scratch& s, const unsigned long long* keys1, const unsigned long long* values1, size_t n1,
                 const unsigned long long* keys2, const unsigned long long* values2, size_t n2,
                 unsigned long long* keys_out, unsigned long long* values_out);
// Sorts (slot << 32 | ad) items in place by slot, then ad name bytes (SlotNameLess).
void sort_by_slot_and_name(Scratch& s, unsigned long long* items, size_t n, const NamesRef& names);
// The same for keys with values moved along (a count table's (key, count) pairs).
void sort_pairs_by_slot_and_name(Scratch& s, unsigned long long* keys, unsigned long long* values, size_t n,
                                 const NamesRef& names);
// Runs of equal keys in sorted `in`: each key once, its run length, and *d_runs the number.
void run_length_encode(Scratch& s, const unsigned long long* in, unsigned long long* unique, uint32_t* lengths,
                       int* d_runs, size_t n);
void run_length_encode(Scratch& s, const uint32_t* in, uint32_t* unique, uint32_t* lengths, int* d_runs, size_t n);
// Sums of `values` per run of equal keys in sorted `keys_in`; *d_runs the number of runs.
void reduce_by_key(Scratch& s, const unsigned long long* keys_in, unsigned long long* keys_out,
                   const unsigned long long* values_in, unsigned long long* values_out, unsigned long long* d_runs,
                   size_t n);

}  // namespace clickagg::CLICKAGG_DEVICE_NS::sys
