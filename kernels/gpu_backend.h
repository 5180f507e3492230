// The GPU engine's storage and compute behind EngineDriver (host/engine/engine_driver.h),
// with results identical to the CPU backend's, on either device system (system/system.h).
//
// Host, per batch: the kept events' ad bytes, lengths and hashes go to the device as the decoder
//   wrote them; each event is packed from the batch's columns into a 64-byte row (fingerprint,
//   the fields filters read); rows go to the device in chunks.
// Device (kernels/): per batch, the ad dictionary (device_dictionary.h: indexes in first
//   appearance order, only new names copied back); per chunk, exact first-copy dedup and the
//   group-by into per-minute tables (chunk_pipeline.h, device_window_table.h); per emitted
//   minute, top-N candidates (topn_select.h).
// Staging: two pinned host buffers and two device input buffers in a ring; the host packs chunk
//   k+1 and its copy runs on a second stream while the kernels of chunk k run.
// Errors: device failures (device out of memory included) throw std::runtime_error; a batch that
//   throws part-way may be partly counted, so the engine is then restored from a checkpoint
//   (the same holds for the CPU engine and std::bad_alloc).
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "host/engine/engine.h"
#include "host/engine/engine_backend.h"
#include "host/engine/thread_pool.h"
#include "kernels/chunk_pipeline.h"
#include "kernels/device_dictionary.h"
#include "kernels/device_memory.h"
#include "kernels/device_window_table.h"
#include "kernels/event_packer.h"
#include "kernels/filter_table.h"
#include "kernels/gpu_engine.h"
#include "kernels/system/runtime.h"
#include "kernels/topn_select.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

// The compute stream (all kernels, table memory), the copy stream (chunk uploads) and, per
// staging slot, "copied" (upload done) and "released" (kernels done reading the slot) events.
// The timing events only measure (stage_seconds): each slot's upload, and a batch's chunk work
// on the compute stream; they are read once a synchronisation has passed them.
class DeviceStreams {
 public:
  explicit DeviceStreams(int device);
  ~DeviceStreams();
  DeviceStreams(const DeviceStreams&) = delete;
  DeviceStreams& operator=(const DeviceStreams&) = delete;

  sys::Stream compute = nullptr;
  sys::Stream copy = nullptr;
  sys::Event copied[2] = {nullptr, nullptr};
  sys::Event released[2] = {nullptr, nullptr};
  sys::Event copy_begin[2] = {nullptr, nullptr};
  sys::Event copy_end[2] = {nullptr, nullptr};
  sys::Event chunks_begin = nullptr;
  sys::Event chunks_end = nullptr;

 private:
  void release() noexcept;
};

class GpuBackend final : public EngineBackend {
 public:
  GpuBackend(const EngineConfig& config, const GpuOptions& options, ThreadPool& pool);
  ~GpuBackend() override;

  std::string_view name() const override { return CLICKAGG_DEVICE_SYSTEM_NAME; }
  AdNamesPtr names() const override { return dict_.names(); }
  void count(const EventColumns& batch, const BatchJudgement& j, BatchTally& tally) override;
  void window_rows(int64_t minute, std::vector<CountRow>& out) override;
  void topn(const TopNQuery& q, std::vector<std::vector<TopNEntry>>& out) override;
  void purge(int64_t minute) override;
  void forget(int64_t minute) override;
  std::vector<int64_t> count_minutes() const override { return table_->count_minutes(); }
  std::vector<int64_t> seen_minutes() const override { return table_->fingerprint_minutes(); }
  uint64_t fingerprint_count(int64_t minute) const override { return table_->fingerprint_count(minute); }
  void for_each_fingerprint(int64_t minute, const std::function<void(const Hash128&)>& f) const override;
  void restore_counts(int64_t minute, std::span<const RestoredRow> rows) override;
  void restore_fingerprints(int64_t minute, std::span<const Hash128> fps) override;
  void restored() override;
  // "dictionary": interning the batch's ads (host clock: the upload of the ad columns, the
  // kernels, the synchronisation and the new names' readback); "h2d_copy": uploads of packed
  // chunks (copy stream); "device_chunks": the chunk pipeline's span on the compute stream
  // (dedup and group-by kernels, with the short waits while the host reads sizes back). The
  // driver adds its own stages (emission among them).
  std::vector<std::pair<std::string, double>> stage_seconds() const override;

 private:
  void select_device() const;
  void run_chunks(const EventColumns& batch, const BatchJudgement& j, BatchTally& tally);
  PackedChunk stage(const EventColumns& batch, const BatchJudgement& j, int slot, size_t& pos);
  void absorb(const PackedChunk& chunk, const ChunkCounts& counts, const BatchJudgement& j, BatchTally& tally);

  EngineConfig cfg_;
  GpuOptions opt_;
  ThreadPool& pool_;
  ChunkLimits limits_;
  double dict_seconds_ = 0, copy_seconds_ = 0, chunk_seconds_ = 0;  // stage_seconds()

  // Device objects: the streams outlive everything allocated in their order (declared first,
  // destroyed last).
  DeviceStreams streams_;
  DeviceArray<unsigned> d_error_;
  DeviceDictionary dict_;
  DeviceFilterTable filters_;
  mutable std::unique_ptr<DeviceWindowTable> table_;
  ChunkPipeline pipeline_;
  mutable TopNSelector selector_;
  EventPacker packer_;
  PinnedArray<DeviceEvent> rows_h_[2];
  DeviceArray<DeviceEvent> rows_d_[2];

  // Per-batch scratch.
  std::vector<uint32_t> kept_;
  const uint32_t* d_ads_ = nullptr;  // the kept events' ad indexes (device), by kept position
  std::vector<TopNCandidate> candidates_;
  // A snapshot being restored, uploaded by restored().
  std::map<int64_t, std::vector<CountSlot>> restore_counts_;
  std::map<int64_t, std::vector<Hash128>> restore_fps_;
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
