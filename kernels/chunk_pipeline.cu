#include "kernels/chunk_pipeline.h"

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_run_length_encode.cuh>
#include <cub/device/device_scan.cuh>
#include <stdexcept>
#include <string>

#include "kernels/block/event_match.cuh"
#include "kernels/block/probe.cuh"
#include "kernels/block/warp_aggregate.cuh"
#include "kernels/dispatch/launch_policy.h"

namespace clickagg::gpu {

namespace {

using dispatch::grid_for;
using dispatch::kBlockThreads;

// Phase 1a: claim every event's (minute, fingerprint) key; remember its slot; record the
// smallest arrival index holding each key.
__global__ void claim_kernel(const DeviceEvent* rows, unsigned long long n, const FpTableRef* refs,
                             uint32_t* slot_of, unsigned* error) {
  for (unsigned long long i = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<unsigned long long>(gridDim.x) * blockDim.x) {
    const DeviceEvent& e = rows[i];
    const Hash128 fp{e.fp_lo, e.fp_hi};
    const FpTableRef t = refs[local_minute(e)];
    const uint32_t s = block::fp_insert_or_find(t, FpSlot{fp.lo, fp.hi}, error);
    if (s != kNoSlot) atomicMin(t.first + s, static_cast<uint32_t>(i + 1));
    slot_of[i] = s;
  }
}

// Phase 1b: the copy holding the minimum swaps it for 0 (committing the key for later chunks)
// and is counted; it also counts its matching filters (its number of group keys).
__global__ void resolve_kernel(const DeviceEvent* rows, unsigned long long n, const FpTableRef* refs,
                               const uint32_t* slot_of, FilterTableRef filters, uint32_t* expansions,
                               unsigned* counted) {
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  for (unsigned long long base = blockIdx.x * static_cast<unsigned long long>(blockDim.x); base < n; base += stride) {
    const unsigned long long i = base + threadIdx.x;
    bool head = false;
    uint32_t key = 0;
    if (i < n) {
      const DeviceEvent& e = rows[i];
      const uint32_t s = slot_of[i];
      const uint32_t me = static_cast<uint32_t>(i + 1);
      if (s != kNoSlot) head = atomicCAS(refs[local_minute(e)].first + s, me, 0u) == me;
      expansions[i] = head ? 1u + block::count_matches(filters, e) : 0u;
      key = 2 * local_minute(e) + (is_late(e) ? 1u : 0u);
    }
    block::warp_count(counted, key, head);
  }
}

// Phase 2a: one chunk key per (counted event, slot it counts into), at the event's offset.
__global__ void expand_kernel(const DeviceEvent* rows, unsigned long long n, const uint32_t* expansions,
                              const uint32_t* offsets, FilterTableRef filters, unsigned long long* keys,
                              unsigned* error) {
  for (unsigned long long i = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<unsigned long long>(gridDim.x) * blockDim.x) {
    const uint32_t want = expansions[i];
    if (want == 0) continue;
    const DeviceEvent& e = rows[i];
    const uint32_t l = local_minute(e);
    unsigned long long* out = keys + offsets[i];
    out[0] = chunk_key(l, count_key(0, e.ad));
    uint32_t k = 1;
    for (uint32_t f = 0; f < filters.count; ++f) {
      if (!block::filter_matches(filters, f, e)) continue;
      if (k < want) out[k] = chunk_key(l, count_key(f + 1, e.ad));
      ++k;
    }
    if (k != want) atomicOr(error, kErrExpansion);
  }
}

// Phase 2b: distinct groups per local minute (the room the count tables must have).
__global__ void distinct_kernel(const unsigned long long* unique, const int* runs, unsigned* distinct) {
  const unsigned long long n = static_cast<unsigned long long>(*runs);
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  for (unsigned long long base = blockIdx.x * static_cast<unsigned long long>(blockDim.x); base < n; base += stride) {
    const unsigned long long i = base + threadIdx.x;
    const bool valid = i < n;
    block::warp_count(distinct, valid ? chunk_key_minute(unique[i]) : 0u, valid);
  }
}

// Phase 3: add every distinct group of the chunk to its minute's table (keys are distinct
// here, so no two threads ever add to the same slot's key at once).
__global__ void insert_kernel(const unsigned long long* unique, const uint32_t* run_len, const int* runs,
                              const CountTableRef* refs, unsigned* new_keys, unsigned* error) {
  const unsigned long long n = static_cast<unsigned long long>(*runs);
  const unsigned long long stride = static_cast<unsigned long long>(gridDim.x) * blockDim.x;
  for (unsigned long long base = blockIdx.x * static_cast<unsigned long long>(blockDim.x); base < n; base += stride) {
    const unsigned long long i = base + threadIdx.x;
    bool fresh = false;
    uint32_t l = 0;
    if (i < n) {
      const unsigned long long ck = unique[i];
      l = chunk_key_minute(ck);
      fresh = block::count_add(refs[l], ck & kCountKeyMask, run_len[i], error);
    }
    block::warp_count(new_keys, l, fresh);
  }
}

}  // namespace

ChunkPipeline::ChunkPipeline(cudaStream_t stream, unsigned* d_error)
    : stream_(stream),
      d_error_(d_error),
      temp_(stream),
      d_fp_refs_(stream),
      d_count_refs_(stream),
      slot_(stream),
      exp_(stream),
      offs_(stream),
      counted_(stream),
      distinct_(stream),
      new_keys_(stream),
      keys_(stream),
      sorted_(stream),
      unique_(stream),
      run_len_(stream),
      runs_(stream) {
  rb_.reserve_discard(1);
  rb_[0].error = 0;
  runs_.reserve_discard(1);
}

void ChunkPipeline::sync_and_check() {
  CLICKAGG_CUDA(cudaStreamSynchronize(stream_));
  if (rb_[0].error != 0)
    throw std::runtime_error("GPU engine: internal table error (code " + std::to_string(rb_[0].error) + ")");
}

void ChunkPipeline::absorb_pending(DeviceWindowTable& table) {
  for (size_t l = 0; l < pending_minutes_.size(); ++l)
    if (rb_[0].new_keys[l] != 0) table.note_counts(pending_minutes_[l], rb_[0].new_keys[l]);
  pending_minutes_.clear();
}

void ChunkPipeline::start(const PackedChunk& chunk, const DeviceEvent* d_rows, cudaEvent_t ready,
                          DeviceWindowTable& table, const FilterTableRef& filters) {
  const size_t n = chunk.size();
  const size_t minutes = chunk.minutes.size();
  if (n == 0 || n >= 0x7FFFFFFFu || minutes == 0 || minutes > kMaxChunkMinutes)
    throw std::logic_error("GPU engine: chunk outside its limits");
  rows_ = d_rows;
  n_ = n;

  fp_refs_.resize(minutes);
  for (size_t l = 0; l < minutes; ++l) fp_refs_[l] = table.reserve_fingerprints(chunk.minutes[l], chunk.minute_events[l]);
  d_fp_refs_.reserve_discard(minutes);
  CLICKAGG_CUDA(cudaMemcpyAsync(d_fp_refs_.data(), fp_refs_.data(), minutes * sizeof(FpTableRef), cudaMemcpyHostToDevice,
                                stream_));
  if (ready != nullptr) CLICKAGG_CUDA(cudaStreamWaitEvent(stream_, ready, 0));

  slot_.reserve_discard(n);
  exp_.reserve_discard(n + 1);
  offs_.reserve_discard(n + 1);
  counted_.reserve_discard(2 * minutes);
  CLICKAGG_CUDA(cudaMemsetAsync(counted_.data(), 0, 2 * minutes * sizeof(unsigned), stream_));
  CLICKAGG_CUDA(cudaMemsetAsync(exp_.data() + n, 0, sizeof(uint32_t), stream_));

  claim_kernel<<<grid_for(n), kBlockThreads, 0, stream_>>>(d_rows, n, d_fp_refs_.data(), slot_.data(), d_error_);
  CLICKAGG_CUDA_LAUNCHED(claim_kernel);
  resolve_kernel<<<grid_for(n), kBlockThreads, 0, stream_>>>(d_rows, n, d_fp_refs_.data(), slot_.data(), filters,
                                                              exp_.data(), counted_.data());
  CLICKAGG_CUDA_LAUNCHED(resolve_kernel);
  // offsets[i] = keys of events before i; offsets[n] = keys of the chunk (at most
  // kMaxChunkExpansions by the chunk limits, so 32 bits hold it).
  uint32_t* exp = exp_.data();
  uint32_t* offs = offs_.data();
  temp_.run([&](void* d_temp, size_t& bytes) {
    return cub::DeviceScan::ExclusiveSum(d_temp, bytes, exp, offs, static_cast<int>(n + 1), stream_);
  });

  CLICKAGG_CUDA(cudaMemcpyAsync(&rb_[0].expansions, offs_.data() + n, sizeof(uint32_t), cudaMemcpyDeviceToHost, stream_));
  CLICKAGG_CUDA(cudaMemcpyAsync(rb_[0].counted, counted_.data(), 2 * minutes * sizeof(unsigned), cudaMemcpyDeviceToHost,
                                stream_));
  CLICKAGG_CUDA(cudaMemcpyAsync(&rb_[0].error, d_error_, sizeof(unsigned), cudaMemcpyDeviceToHost, stream_));
}

void ChunkPipeline::finish(const PackedChunk& chunk, DeviceWindowTable& table, const FilterTableRef& filters,
                           cudaEvent_t rows_released, ChunkCounts& out) {
  const size_t minutes = chunk.minutes.size();
  sync_and_check();
  absorb_pending(table);  // the previous chunk's phase 3 is complete too (same stream)

  out.open.assign(minutes, 0);
  out.late.assign(minutes, 0);
  for (size_t l = 0; l < minutes; ++l) {
    out.open[l] = rb_[0].counted[2 * l];
    out.late[l] = rb_[0].counted[2 * l + 1];
    // Every key new in this chunk has exactly one counted copy.
    if (out.open[l] + out.late[l] != 0) table.note_fingerprints(chunk.minutes[l], out.open[l] + out.late[l]);
  }

  const uint64_t e = rb_[0].expansions;
  if (e == 0) {
    if (rows_released != nullptr) CLICKAGG_CUDA(cudaEventRecord(rows_released, stream_));
    return;
  }
  if (e > kMaxChunkExpansions) throw std::logic_error("GPU engine: chunk expanded past its limit");

  // Phase 2.
  keys_.reserve_discard(e);
  sorted_.reserve_discard(e);
  unique_.reserve_discard(e);
  run_len_.reserve_discard(e);
  expand_kernel<<<grid_for(n_), kBlockThreads, 0, stream_>>>(rows_, n_, exp_.data(), offs_.data(), filters, keys_.data(),
                                                             d_error_);
  CLICKAGG_CUDA_LAUNCHED(expand_kernel);
  if (rows_released != nullptr) CLICKAGG_CUDA(cudaEventRecord(rows_released, stream_));

  const int end_bit = kChunkMinuteShift + bits_for(minutes);
  unsigned long long* keys = keys_.data();
  unsigned long long* sorted = sorted_.data();
  unsigned long long* unique = unique_.data();
  uint32_t* run_len = run_len_.data();
  int* runs = runs_.data();
  const int items = static_cast<int>(e);
  temp_.run([&](void* d_temp, size_t& bytes) {
    return cub::DeviceRadixSort::SortKeys(d_temp, bytes, keys, sorted, items, 0, end_bit, stream_);
  });
  temp_.run([&](void* d_temp, size_t& bytes) {
    return cub::DeviceRunLengthEncode::Encode(d_temp, bytes, sorted, unique, run_len, runs, items, stream_);
  });
  distinct_.reserve_discard(minutes);
  CLICKAGG_CUDA(cudaMemsetAsync(distinct_.data(), 0, minutes * sizeof(unsigned), stream_));
  distinct_kernel<<<grid_for(e), kBlockThreads, 0, stream_>>>(unique, runs, distinct_.data());
  CLICKAGG_CUDA_LAUNCHED(distinct_kernel);
  CLICKAGG_CUDA(cudaMemcpyAsync(&rb_[0].runs, runs, sizeof(int), cudaMemcpyDeviceToHost, stream_));
  CLICKAGG_CUDA(cudaMemcpyAsync(rb_[0].distinct, distinct_.data(), minutes * sizeof(unsigned), cudaMemcpyDeviceToHost,
                                stream_));
  CLICKAGG_CUDA(cudaMemcpyAsync(&rb_[0].error, d_error_, sizeof(unsigned), cudaMemcpyDeviceToHost, stream_));
  sync_and_check();

  // Phase 3.
  count_refs_.assign(minutes, CountTableRef{});
  for (size_t l = 0; l < minutes; ++l)
    if (rb_[0].distinct[l] != 0) count_refs_[l] = table.reserve_counts(chunk.minutes[l], rb_[0].distinct[l]);
  d_count_refs_.reserve_discard(minutes);
  CLICKAGG_CUDA(cudaMemcpyAsync(d_count_refs_.data(), count_refs_.data(), minutes * sizeof(CountTableRef),
                                cudaMemcpyHostToDevice, stream_));
  new_keys_.reserve_discard(minutes);
  CLICKAGG_CUDA(cudaMemsetAsync(new_keys_.data(), 0, minutes * sizeof(unsigned), stream_));
  const int distinct_total = rb_[0].runs;
  insert_kernel<<<grid_for(static_cast<size_t>(distinct_total)), kBlockThreads, 0, stream_>>>(
      unique, run_len, runs, d_count_refs_.data(), new_keys_.data(), d_error_);
  CLICKAGG_CUDA_LAUNCHED(insert_kernel);
  CLICKAGG_CUDA(cudaMemcpyAsync(rb_[0].new_keys, new_keys_.data(), minutes * sizeof(unsigned), cudaMemcpyDeviceToHost,
                                stream_));
  CLICKAGG_CUDA(cudaMemcpyAsync(&rb_[0].error, d_error_, sizeof(unsigned), cudaMemcpyDeviceToHost, stream_));
  pending_minutes_ = chunk.minutes;
}

void ChunkPipeline::drain(DeviceWindowTable& table) {
  sync_and_check();
  absorb_pending(table);
}

}  // namespace clickagg::gpu
