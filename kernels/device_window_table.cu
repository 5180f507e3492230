#include "kernels/device_window_table.h"

#include <stdexcept>
#include <string>

#include "kernels/block/probe.cuh"
#include "kernels/block/warp_aggregate.cuh"
#include "kernels/device_layout.h"
#include "kernels/dispatch/launch_policy.h"

namespace clickagg::gpu {

namespace {

using dispatch::grid_for;
using dispatch::kBlockThreads;

// Re-inserts the committed fingerprints of `from` into the empty table `to`.
__global__ void fp_rehash_kernel(const FpSlot* from, unsigned long long n, FpTableRef to, unsigned* error) {
  for (unsigned long long i = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<unsigned long long>(gridDim.x) * blockDim.x) {
    const FpSlot s = from[i];
    if (s.lo == 0 && s.hi == 0) continue;
    const uint32_t at = block::fp_insert_or_find(to, s, error);
    if (at != kNoSlot) to.first[at] = 0;  // keys are distinct here: one writer per slot
  }
}

// Inserts fingerprints as committed keys, counting the ones that were new.
__global__ void fp_insert_kernel(FpTableRef to, const FpSlot* in, unsigned long long n, unsigned long long* inserted,
                                 unsigned* error) {
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  for (unsigned long long base = blockIdx.x * static_cast<unsigned long long>(blockDim.x); base < n; base += stride) {
    const unsigned long long i = base + threadIdx.x;
    bool fresh = false;
    if (i < n) {
      const FpSlot s = in[i];
      // first[] of a new slot is kFirstEmpty; committing it with a CAS tells the one thread
      // that inserted it apart from threads that found it (equal fingerprints in the input).
      const uint32_t at = block::fp_insert_or_find(to, s, error);
      if (at != kNoSlot) fresh = atomicCAS(&to.first[at], kFirstEmpty, 0u) == kFirstEmpty;
    }
    (void)block::warp_append(inserted, fresh);  // counts the new keys
  }
}

__global__ void count_clear_kernel(CountSlot* slots, unsigned long long n) {
  for (unsigned long long i = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<unsigned long long>(gridDim.x) * blockDim.x)
    slots[i] = CountSlot{kEmptyCountKey, 0};
}

__global__ void count_rehash_kernel(const CountSlot* from, unsigned long long n, CountTableRef to, unsigned* error) {
  for (unsigned long long i = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<unsigned long long>(gridDim.x) * blockDim.x) {
    const CountSlot s = from[i];
    if (s.key != kEmptyCountKey) block::count_add(to, s.key, s.count, error);
  }
}

__global__ void count_insert_kernel(CountTableRef to, const CountSlot* in, unsigned long long n,
                                    unsigned long long* inserted, unsigned* error) {
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  for (unsigned long long base = blockIdx.x * static_cast<unsigned long long>(blockDim.x); base < n; base += stride) {
    const unsigned long long i = base + threadIdx.x;
    bool fresh = false;
    if (i < n) fresh = block::count_add(to, in[i].key, in[i].count, error);
    (void)block::warp_append(inserted, fresh);
  }
}

__global__ void count_gather_kernel(const CountSlot* slots, unsigned long long n, unsigned long long* keys,
                                    unsigned long long* counts, unsigned long long* cursor, unsigned long long limit,
                                    unsigned* error) {
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  for (unsigned long long base = blockIdx.x * static_cast<unsigned long long>(blockDim.x); base < n; base += stride) {
    const unsigned long long i = base + threadIdx.x;
    CountSlot s{kEmptyCountKey, 0};
    if (i < n) s = slots[i];
    const bool keep = s.key != kEmptyCountKey;
    const unsigned long long pos = block::warp_append(cursor, keep);
    if (!keep) continue;
    if (pos >= limit) {
      atomicOr(error, kErrOutputOverflow);
      continue;
    }
    keys[pos] = s.key;
    counts[pos] = s.count;
  }
}

__global__ void fp_gather_kernel(const FpSlot* slots, unsigned long long n, FpSlot* out, unsigned long long* cursor,
                                 unsigned long long limit, unsigned* error) {
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  for (unsigned long long base = blockIdx.x * static_cast<unsigned long long>(blockDim.x); base < n; base += stride) {
    const unsigned long long i = base + threadIdx.x;
    FpSlot s{0, 0};
    if (i < n) s = slots[i];
    const bool keep = s.lo != 0 || s.hi != 0;
    const unsigned long long pos = block::warp_append(cursor, keep);
    if (!keep) continue;
    if (pos >= limit) {
      atomicOr(error, kErrOutputOverflow);
      continue;
    }
    out[pos] = s;
  }
}

uint64_t next_pow2(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

}  // namespace

DeviceWindowTable::DeviceWindowTable(cudaStream_t stream, uint64_t min_slots, unsigned* d_error)
    : stream_(stream),
      min_slots_(next_pow2(std::max<uint64_t>(min_slots, 2))),
      d_error_(d_error),
      scratch_(stream),
      counter_(stream) {}

uint64_t DeviceWindowTable::capacity_for(uint64_t keys) const {
  // Load at most 1/2.
  const uint64_t want = next_pow2(std::max<uint64_t>(min_slots_, keys * 2));
  if (want > kMaxTableSlots)
    throw std::runtime_error("GPU engine: more than " + std::to_string(kMaxTableSlots / 2) +
                             " distinct keys in one minute; use --engine cpu");
  return want;
}

DeviceWindowTable::FpTable DeviceWindowTable::new_fp_table(uint64_t capacity) {
  FpTable t{DeviceArray<FpSlot>(stream_), DeviceArray<uint32_t>(stream_), capacity, 0};
  t.slots.assign_exact(capacity);
  t.first.assign_exact(capacity);
  CLICKAGG_CUDA(cudaMemsetAsync(t.slots.data(), 0, capacity * sizeof(FpSlot), stream_));
  CLICKAGG_CUDA(cudaMemsetAsync(t.first.data(), 0xFF, capacity * sizeof(uint32_t), stream_));
  return t;
}

DeviceWindowTable::CountTable DeviceWindowTable::new_count_table(uint64_t capacity) {
  CountTable t{DeviceArray<CountSlot>(stream_), capacity, 0};
  t.slots.assign_exact(capacity);
  count_clear_kernel<<<grid_for(capacity), kBlockThreads, 0, stream_>>>(t.slots.data(), capacity);
  CLICKAGG_CUDA_LAUNCHED(count_clear_kernel);
  return t;
}

FpTableRef DeviceWindowTable::reserve_fingerprints(int64_t minute, uint64_t extra) {
  auto it = fps_.find(minute);
  if (it == fps_.end()) {
    FpTable t = new_fp_table(capacity_for(extra));
    it = fps_.emplace(minute, std::move(t)).first;
    return it->second.ref();
  }
  FpTable& cur = it->second;
  const uint64_t need = cur.size + extra;
  if (need * 2 > cur.capacity) {
    FpTable grown = new_fp_table(capacity_for(need));
    fp_rehash_kernel<<<grid_for(cur.capacity), kBlockThreads, 0, stream_>>>(cur.slots.data(), cur.capacity, grown.ref(),
                                                                             d_error_);
    CLICKAGG_CUDA_LAUNCHED(fp_rehash_kernel);
    grown.size = cur.size;
    cur = std::move(grown);  // the old arrays are freed in stream order, after the rehash
  }
  return cur.ref();
}

void DeviceWindowTable::note_fingerprints(int64_t minute, uint64_t inserted) {
  auto it = fps_.find(minute);
  if (it == fps_.end()) throw std::logic_error("GPU engine: fingerprints noted for a minute without a table");
  it->second.size += inserted;
  if (it->second.size * 2 > it->second.capacity) throw std::logic_error("GPU engine: fingerprint table over its load limit");
}

uint64_t DeviceWindowTable::fingerprint_count(int64_t minute) const {
  auto it = fps_.find(minute);
  return it == fps_.end() ? 0 : it->second.size;
}
uint64_t DeviceWindowTable::fingerprint_capacity(int64_t minute) const {
  auto it = fps_.find(minute);
  return it == fps_.end() ? 0 : it->second.capacity;
}

std::vector<int64_t> DeviceWindowTable::fingerprint_minutes() const {
  std::vector<int64_t> out;
  for (const auto& [m, _] : fps_) out.push_back(m);
  return out;
}

unsigned long long* DeviceWindowTable::scratch_counter() {
  counter_.reserve_discard(1);
  CLICKAGG_CUDA(cudaMemsetAsync(counter_.data(), 0, sizeof(unsigned long long), stream_));
  return counter_.data();
}

std::vector<Hash128> DeviceWindowTable::fingerprints(int64_t minute) {
  std::vector<Hash128> out;
  auto it = fps_.find(minute);
  if (it == fps_.end() || it->second.size == 0) return out;
  const FpTable& t = it->second;
  scratch_.reserve_discard(t.size * sizeof(FpSlot));
  auto* d_out = reinterpret_cast<FpSlot*>(scratch_.data());
  unsigned long long* cursor = scratch_counter();
  fp_gather_kernel<<<grid_for(t.capacity), kBlockThreads, 0, stream_>>>(t.slots.data(), t.capacity, d_out, cursor, t.size,
                                                                         d_error_);
  CLICKAGG_CUDA_LAUNCHED(fp_gather_kernel);
  std::vector<FpSlot> raw(t.size);
  unsigned long long found = 0;
  CLICKAGG_CUDA(cudaMemcpyAsync(raw.data(), d_out, t.size * sizeof(FpSlot), cudaMemcpyDeviceToHost, stream_));
  CLICKAGG_CUDA(cudaMemcpyAsync(&found, cursor, sizeof found, cudaMemcpyDeviceToHost, stream_));
  CLICKAGG_CUDA(cudaStreamSynchronize(stream_));
  if (found != t.size) throw std::logic_error("GPU engine: fingerprint table holds another number of keys than noted");
  out.reserve(raw.size());
  for (const FpSlot& s : raw) out.push_back(Hash128{s.lo, s.hi});
  return out;
}

void DeviceWindowTable::insert_fingerprints_async(const FpTableRef& ref, const FpSlot* d_fps, size_t n,
                                                  unsigned long long* d_inserted) {
  if (n == 0) return;
  fp_insert_kernel<<<grid_for(n), kBlockThreads, 0, stream_>>>(ref, d_fps, n, d_inserted, d_error_);
  CLICKAGG_CUDA_LAUNCHED(fp_insert_kernel);
}

void DeviceWindowTable::insert_fingerprints(int64_t minute, std::span<const Hash128> fps) {
  if (fps.empty()) return;
  const FpTableRef ref = reserve_fingerprints(minute, fps.size());
  std::vector<FpSlot> host(fps.size());
  for (size_t i = 0; i < fps.size(); ++i) {
    if (fps[i].lo == 0 && fps[i].hi == 0) throw std::invalid_argument("GPU engine: the zero fingerprint is reserved");
    host[i] = FpSlot{fps[i].lo, fps[i].hi};
  }
  scratch_.reserve_discard(host.size() * sizeof(FpSlot));
  auto* d_in = reinterpret_cast<FpSlot*>(scratch_.data());
  CLICKAGG_CUDA(cudaMemcpyAsync(d_in, host.data(), host.size() * sizeof(FpSlot), cudaMemcpyHostToDevice, stream_));
  unsigned long long* counter = scratch_counter();
  insert_fingerprints_async(ref, d_in, host.size(), counter);
  unsigned long long inserted = 0;
  CLICKAGG_CUDA(cudaMemcpyAsync(&inserted, counter, sizeof inserted, cudaMemcpyDeviceToHost, stream_));
  CLICKAGG_CUDA(cudaStreamSynchronize(stream_));
  note_fingerprints(minute, inserted);
}

CountTableRef DeviceWindowTable::reserve_counts(int64_t minute, uint64_t extra) {
  auto it = counts_.find(minute);
  if (it == counts_.end()) {
    CountTable t = new_count_table(capacity_for(extra));
    it = counts_.emplace(minute, std::move(t)).first;
    return it->second.ref();
  }
  CountTable& cur = it->second;
  const uint64_t need = cur.size + extra;
  if (need * 2 > cur.capacity) {
    CountTable grown = new_count_table(capacity_for(need));
    count_rehash_kernel<<<grid_for(cur.capacity), kBlockThreads, 0, stream_>>>(cur.slots.data(), cur.capacity,
                                                                                grown.ref(), d_error_);
    CLICKAGG_CUDA_LAUNCHED(count_rehash_kernel);
    grown.size = cur.size;
    cur = std::move(grown);
  }
  return cur.ref();
}

void DeviceWindowTable::note_counts(int64_t minute, uint64_t inserted) {
  auto it = counts_.find(minute);
  if (it == counts_.end()) throw std::logic_error("GPU engine: counts noted for a minute without a table");
  it->second.size += inserted;
  if (it->second.size * 2 > it->second.capacity) throw std::logic_error("GPU engine: count table over its load limit");
}

uint64_t DeviceWindowTable::count_size(int64_t minute) const {
  auto it = counts_.find(minute);
  return it == counts_.end() ? 0 : it->second.size;
}
uint64_t DeviceWindowTable::count_capacity(int64_t minute) const {
  auto it = counts_.find(minute);
  return it == counts_.end() ? 0 : it->second.capacity;
}

std::vector<int64_t> DeviceWindowTable::count_minutes() const {
  std::vector<int64_t> out;
  for (const auto& [m, _] : counts_) out.push_back(m);
  return out;
}

void DeviceWindowTable::gather_counts_async(int64_t minute, unsigned long long* d_keys, unsigned long long* d_counts,
                                            unsigned long long* d_cursor, unsigned long long limit) const {
  auto it = counts_.find(minute);
  if (it == counts_.end()) return;
  const CountTable& t = it->second;
  count_gather_kernel<<<grid_for(t.capacity), kBlockThreads, 0, stream_>>>(t.slots.data(), t.capacity, d_keys, d_counts,
                                                                            d_cursor, limit, d_error_);
  CLICKAGG_CUDA_LAUNCHED(count_gather_kernel);
}

std::vector<CountSlot> DeviceWindowTable::counts(int64_t minute) {
  std::vector<CountSlot> out;
  auto it = counts_.find(minute);
  if (it == counts_.end() || it->second.size == 0) return out;
  const uint64_t n = it->second.size;
  scratch_.reserve_discard(n * 2 * sizeof(unsigned long long));
  auto* d_keys = reinterpret_cast<unsigned long long*>(scratch_.data());
  unsigned long long* d_counts = d_keys + n;
  unsigned long long* cursor = scratch_counter();
  gather_counts_async(minute, d_keys, d_counts, cursor, n);
  std::vector<unsigned long long> keys(n), counts(n);
  unsigned long long found = 0;
  CLICKAGG_CUDA(cudaMemcpyAsync(keys.data(), d_keys, n * sizeof(unsigned long long), cudaMemcpyDeviceToHost, stream_));
  CLICKAGG_CUDA(cudaMemcpyAsync(counts.data(), d_counts, n * sizeof(unsigned long long), cudaMemcpyDeviceToHost, stream_));
  CLICKAGG_CUDA(cudaMemcpyAsync(&found, cursor, sizeof found, cudaMemcpyDeviceToHost, stream_));
  CLICKAGG_CUDA(cudaStreamSynchronize(stream_));
  if (found != n) throw std::logic_error("GPU engine: count table holds another number of keys than noted");
  out.resize(n);
  for (uint64_t i = 0; i < n; ++i) out[i] = CountSlot{keys[i], counts[i]};
  return out;
}

void DeviceWindowTable::insert_counts_async(const CountTableRef& ref, const CountSlot* d_items, size_t n,
                                            unsigned long long* d_inserted) {
  if (n == 0) return;
  count_insert_kernel<<<grid_for(n), kBlockThreads, 0, stream_>>>(ref, d_items, n, d_inserted, d_error_);
  CLICKAGG_CUDA_LAUNCHED(count_insert_kernel);
}

void DeviceWindowTable::insert_counts(int64_t minute, std::span<const CountSlot> items) {
  if (items.empty()) return;
  for (const CountSlot& s : items)
    if (s.key == kEmptyCountKey) throw std::invalid_argument("GPU engine: the empty count key is reserved");
  const CountTableRef ref = reserve_counts(minute, items.size());
  scratch_.reserve_discard(items.size() * sizeof(CountSlot));
  auto* d_in = reinterpret_cast<CountSlot*>(scratch_.data());
  CLICKAGG_CUDA(cudaMemcpyAsync(d_in, items.data(), items.size() * sizeof(CountSlot), cudaMemcpyHostToDevice, stream_));
  unsigned long long* counter = scratch_counter();
  insert_counts_async(ref, d_in, items.size(), counter);
  unsigned long long inserted = 0;
  CLICKAGG_CUDA(cudaMemcpyAsync(&inserted, counter, sizeof inserted, cudaMemcpyDeviceToHost, stream_));
  CLICKAGG_CUDA(cudaStreamSynchronize(stream_));
  note_counts(minute, inserted);
}

}  // namespace clickagg::gpu
