// The CUDA engine: the semantics of engine.h, with results identical to the CPU engine's.
//
// Host (sequential, cheap, engine-independent code reused as is):
//   - judging: the watermark just before each event gives its verdict (dropped late / open /
//     closed late), exactly the CpuEngine::process loop, with WatermarkTracker and
//     WindowLifecycle; events dropped late never reach the device;
//   - ad ids are interned to dense indexes in one AdDictionary (2 M+ ads are fine);
//   - emission: WindowResult rows sorted by filter then ad_id bytes, top-N lists ranked by
//     count then ad_id bytes, empty lists only as corrections: the CPU engine's rules.
// Device (kernels/): per chunk of kept events, fingerprints, exact first-copy dedup and the
//   group-by into per-minute tables (chunk_pipeline.h, device_window_table.h); per emitted
//   minute, top-N candidates (topn_select.h).
// Staging: two pinned host buffers and two device input buffers in a ring; the host packs chunk
//   k+1 and its copy runs on a second stream while the kernels of chunk k run.
// Errors: CUDA failures (device out of memory included) throw std::runtime_error; a batch that
//   throws part-way may be partly counted, so the engine is then restored from a checkpoint
//   (the same holds for the CPU engine and std::bad_alloc).
// Snapshots: the CPU engine's stream format (same magic, version and sections: counts by
//   minute, ad name and filter id; fingerprints by minute), so either engine restores the
//   other's checkpoint.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "host/engine/ad_dictionary.h"
#include "host/engine/engine.h"
#include "host/engine/watermark.h"
#include "host/engine/window_lifecycle.h"
#include "kernels/chunk_pipeline.h"
#include "kernels/device_memory.h"
#include "kernels/device_window_table.h"
#include "kernels/event_packer.h"
#include "kernels/filter_table.h"
#include "kernels/gpu_engine.h"
#include "kernels/topn_select.h"

namespace clickagg::gpu {

// The compute stream (all kernels, table memory), the copy stream (chunk uploads) and, per
// staging slot, "copied" (upload done) and "released" (kernels done reading the slot) events.
// The timing events only measure (stage_seconds): each slot's upload, and a batch's chunk work
// on the compute stream; they are read once a synchronisation has passed them.
class CudaStreams {
 public:
  explicit CudaStreams(int device);
  ~CudaStreams();
  CudaStreams(const CudaStreams&) = delete;
  CudaStreams& operator=(const CudaStreams&) = delete;

  cudaStream_t compute = nullptr;
  cudaStream_t copy = nullptr;
  cudaEvent_t copied[2] = {nullptr, nullptr};
  cudaEvent_t released[2] = {nullptr, nullptr};
  cudaEvent_t copy_begin[2] = {nullptr, nullptr};
  cudaEvent_t copy_end[2] = {nullptr, nullptr};
  cudaEvent_t chunks_begin = nullptr;
  cudaEvent_t chunks_end = nullptr;
};

class GpuEngine final : public Engine {
 public:
  GpuEngine(const EngineConfig& config, const GpuOptions& options);
  ~GpuEngine() override;

  std::string_view name() const override { return "gpu"; }
  void process(uint32_t partition, std::span<const Event> events, int64_t now_ms, ResultSink& sink) override;
  void tick(int64_t now_ms, ResultSink& sink) override;
  void finish(ResultSink& sink) override;
  void drop_partition(uint32_t partition) override { wm_.drop(partition); }
  EngineStats stats() const override;
  // "h2d_copy": uploads of packed chunks (copy stream); "device_chunks": the chunk pipeline's
  // span on the compute stream (dedup and group-by kernels, with the short waits while the
  // host reads sizes back); "emit": host time to read closed windows back, select top-N
  // lists on the device and build the results.
  std::vector<std::pair<std::string, double>> stage_seconds() const override;
  void save_state(std::ostream& out) const override;
  void restore_state(std::istream& in) override;

 private:
  static EngineConfig checked(EngineConfig config);
  void select_device() const;
  void run_chunks(std::span<const Event> events);
  PackedChunk stage(std::span<const Event> events, int slot, size_t& pos);
  void absorb(const PackedChunk& chunk, const ChunkCounts& counts);
  void apply(const WindowPlan& plan, ResultSink& sink);
  WindowResult window_result(int64_t minute, bool correction) const;
  void emit_topn(int64_t minute, bool correction, ResultSink& sink);

  EngineConfig cfg_;
  GpuOptions opt_;
  uint32_t max_window_;
  ChunkLimits limits_;
  WatermarkTracker wm_;
  WindowLifecycle life_;
  EngineStats stats_;
  AdDictionary ads_;
  double copy_seconds_ = 0, chunk_seconds_ = 0, emit_seconds_ = 0;  // stage_seconds()

  // Device objects: the streams outlive everything allocated in their order (declared first,
  // destroyed last).
  CudaStreams streams_;
  DeviceArray<unsigned> d_error_;
  DeviceFilterTable filters_;
  mutable std::unique_ptr<DeviceWindowTable> table_;
  ChunkPipeline pipeline_;
  mutable TopNSelector selector_;
  EventPacker packer_;
  PinnedArray<DeviceEvent> rows_h_[2];
  PinnedArray<char> blob_h_[2];
  DeviceArray<DeviceEvent> rows_d_[2];
  DeviceArray<char> blob_d_[2];

  // Per-batch scratch.
  std::vector<int64_t> minute_;
  std::vector<Verdict> verdict_;
  std::vector<uint32_t> kept_;
  std::vector<TopNCandidate> candidates_;
};

}  // namespace clickagg::gpu
