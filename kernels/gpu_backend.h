// The GPU engine's storage and compute behind EngineDriver (host/engine/engine_driver.h),
// with results identical to the CPU backend's, on either device system (system/system.h).
//
// Per batch, the host copies columns and reads back counters; it touches no event. A batch of
// at most GpuOptions::directory_events events whose kept events count into minutes that have
// tables (minute_directory.h: every minute whose dedup state is alive, and the one after the
// newest) synchronises once; other batches (the first, one with events in a minute without a
// table or more than its table has room for, a larger one) twice or more. Callers decode batches into pinned memory
// (batch_memory()), so the copies need no staging:
//   judge(): the event times, the columns rows are built from and the ad columns go up; the
//     device judges the events against the watermark (device_judge.h) and lists the kept
//     ones, interns their ads (device_dictionary.h: indexes in first appearance order; only
//     new names come back, with later synchronisations), finds each kept event's minute in
//     the directory, builds the rows (device_rows.h) and runs phase 1 of the chunk pipeline
//     (chunk_pipeline.h: exact dedup and the group keys), all bounded by the kept count on
//     the device, and nothing at all where an event has no entry with room. The counted
//     minutes, the dropped events and phase 1's counts come back in one synchronisation;
//   count(): phases 2 and 3 (the sort and the inserts into the per-minute tables,
//     device_window_table.h) follow without waiting. Where phase 1 did not run, the batch goes
//     the usual way: per chunk of kept events, rows by the judgement's minutes, phase 1 sized
//     exactly, a synchronisation, then phases 2 and 3. The last chunk's counts and the new
//     names are taken in when the host next needs the tables (settle()) or at the next batch's
//     synchronisation.
// Per emitted minute: top-N candidates on the device (topn_select.h), from the minute's counts
// for a window of one minute, and from a running sum per longer window size
// (device_sliding_sum.h), moved from minute to minute by the rule the CPU engine follows
// (host/engine/window_move.h). The minutes a sum holds are watched, so late counts into them
// are logged and taken in at the sum's next move; a minute forgotten while held is taken off
// first.
// Errors: device failures (device out of memory included) throw std::runtime_error; a batch that
//   throws part-way may be partly counted, so the engine is then restored from a checkpoint
//   (the same holds for the CPU engine and std::bad_alloc).
#pragma once
#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <vector>

#include "host/engine/engine.h"
#include "host/engine/engine_backend.h"
#include "kernels/chunk_pipeline.h"
#include "kernels/device_dictionary.h"
#include "kernels/device_judge.h"
#include "kernels/device_memory.h"
#include "kernels/device_window_table.h"
#include "kernels/device_rows.h"
#include "kernels/device_sliding_sum.h"
#include "kernels/filter_table.h"
#include "kernels/gpu_engine.h"
#include "kernels/minute_directory.h"
#include "kernels/system/runtime.h"
#include "kernels/topn_select.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

// The one stream every copy and kernel runs on, and timing events that only measure
// (stage_seconds): a batch's column uploads and its chunk work, read once a synchronisation has
// passed them.
class DeviceStreams {
 public:
  explicit DeviceStreams(int device);
  ~DeviceStreams();
  DeviceStreams(const DeviceStreams&) = delete;
  DeviceStreams& operator=(const DeviceStreams&) = delete;

  sys::Stream compute = nullptr;
  sys::Event upload_begin = nullptr;
  sys::Event upload_end = nullptr;
  sys::Event chunks_begin = nullptr;
  sys::Event chunks_end = nullptr;

 private:
  void release() noexcept;
};

class GpuBackend final : public EngineBackend {
 public:
  GpuBackend(const EngineConfig& config, const GpuOptions& options);
  ~GpuBackend() override;

  std::string_view name() const override { return CLICKAGG_DEVICE_SYSTEM_NAME; }
  AdNamesPtr names() const override { return dict_.names(); }
  std::pmr::memory_resource* batch_memory() const override { return pinned_memory(); }
  // On the device (device_judge.h): out's verdict and local arrays stay null (count() reads
  // the device's).
  bool judge(const EventColumns& batch, const JudgeRule& rule, BatchJudgement& out) override;
  void count(const EventColumns& batch, const BatchJudgement& j, BatchTally& tally) override;
  // Sorted on the device, by filter and then name bytes (the dictionary's names).
  void window_rows(int64_t minute, std::vector<CountRow>& out) override;
  bool rows_in_order() const override { return true; }
  void topn(const TopNQuery& q, std::vector<std::vector<TopNEntry>>& out) override;
  void purge(int64_t minute) override;
  void forget(int64_t minute) override;
  std::vector<int64_t> count_minutes() const override {
    settle();
    return table_->count_minutes();
  }
  std::vector<int64_t> seen_minutes() const override {
    settle();
    return table_->fingerprint_minutes();
  }
  uint64_t fingerprint_count(int64_t minute) const override {
    settle();
    return table_->fingerprint_count(minute);
  }
  void for_each_fingerprint(int64_t minute, const std::function<void(const Hash128&)>& f) const override;
  void restore_counts(int64_t minute, std::span<const RestoredRow> rows) override;
  void restore_fingerprints(int64_t minute, std::span<const Hash128> fps) override;
  void restored() override;
  // "dictionary": interning the batch's ads (host clock: queueing the upload of the ad columns
  // and the kernels; their device time is in the next stage's wait); "h2d_copy": the uploads of the
  // event times and the row columns; "device_chunks": the chunks' span on the stream (row
  // building, dedup and group-by kernels, with the short waits while the host reads sizes
  // back; from phase 2 on where phase 1 ran before the judgement's synchronisation). The
  // driver adds its own stages: its "judge" holds the device judgement (and then phase 1).
  std::vector<std::pair<std::string, double>> stage_seconds() const override;

 private:
  void select_device() const;
  // Absorbs the last batch's last phase 3 (chunk_pipeline.h) before the host reads or changes
  // the tables: a batch ends without waiting for it, so a batch that emits nothing costs one
  // synchronisation less.
  void settle() const;
  void intern(const EventColumns& batch, size_t kept, const unsigned long long* d_bound);
  void run_chunks(const BatchJudgement& j, size_t kept, BatchTally& tally);
  void finish_bounded(const BatchJudgement& j, BatchTally& tally);
  KeptEvents kept_events(const BatchJudgement& j, size_t kept) const;
  void absorb(const PackedChunk& chunk, const ChunkCounts& counts, const BatchJudgement& j, BatchTally& tally);
  struct RunningSum {
    std::set<int64_t> held;  // minutes added in
    std::unique_ptr<DeviceSlidingSum> sum;
  };
  void position(RunningSum& rs, uint32_t window, int64_t e);
  void watch_held();

  EngineConfig cfg_;
  GpuOptions opt_;
  ChunkLimits limits_;
  double dict_seconds_ = 0, copy_seconds_ = 0;  // stage_seconds()
  mutable double chunk_seconds_ = 0;
  mutable bool unsettled_ = false;     // a batch's chunks ran and are not absorbed yet
  mutable bool chunks_timed_ = false;  // and their span was recorded whole

  // Device objects: the streams outlive everything allocated in their order (declared first,
  // destroyed last).
  DeviceStreams streams_;
  DeviceArray<unsigned> d_error_;
  mutable DeviceDictionary dict_;
  DeviceJudge judge_;
  MinuteDirectory directory_;
  DeviceRows rows_;
  DeviceFilterTable filters_;
  mutable std::unique_ptr<DeviceWindowTable> table_;
  mutable ChunkPipeline pipeline_;
  mutable TopNSelector selector_;
  DeviceArray<int64_t> times_d_;
  DeviceArray<DeviceEvent> rows_d_;
  std::vector<RunningSum> running_;  // per top-N window size (unused for size 1)

  // Per-batch scratch.
  const uint32_t* d_ads_ = nullptr;  // the kept events' ad indexes (device), by kept position
  bool interned_ = false;            // judge() interned the batch's ads
  bool bounded_ = false;             // and ran phase 1 of its one chunk (chunk_), which fit
  PackedChunk chunk_;
  std::vector<TopNCandidate> candidates_;
  // A snapshot being restored, uploaded by restored().
  std::map<int64_t, std::vector<CountSlot>> restore_counts_;
  std::map<int64_t, std::vector<Hash128>> restore_fps_;
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
