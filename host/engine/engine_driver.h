// The one engine: the semantics of engine.h written once, over a storage-and-compute backend
// (engine_backend.h) that the CPU and GPU engines each supply.
//
// A process() call:
//   1. judges every event against the watermark as it stood just before it (judge_rule.h): on
//      the host in parallel ranges (batch_judge.h), or by the backend where it has a device;
//   2. hands the events not dropped late to the backend, which dedups and counts them;
//   3. records the counts with the window lifecycle and emits what the new watermark closes,
//      corrects or completes, in the lifecycle's order.
// Emission, top-N list assembly (ranking ties by name, the empty-list rule), the counters and
// the snapshot stream are the driver's, so every backend emits the same results.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "host/engine/engine.h"
#include "host/engine/engine_backend.h"
#include "host/engine/thread_pool.h"
#include "host/engine/watermark.h"
#include "host/engine/window_lifecycle.h"

namespace clickagg {

class EngineDriver final : public Engine {
 public:
  // Makes an empty backend for a configuration (again for every restore, which fills a fresh
  // one and swaps it in only when the whole snapshot has been read).
  using BackendFactory = std::function<std::unique_ptr<EngineBackend>(const EngineConfig&, ThreadPool&)>;

  // Validates and normalises the configuration (throws std::invalid_argument).
  EngineDriver(const EngineConfig& config, BackendFactory factory);
  ~EngineDriver() override;

  std::string_view name() const override { return backend_->name(); }
  using Engine::process;
  void process(uint32_t partition, const EventColumns& batch, int64_t now_ms, ResultSink& sink) override;
  void tick(int64_t now_ms, ResultSink& sink) override;
  void finish(ResultSink& sink) override;
  void drop_partition(uint32_t partition) override { wm_.drop(partition); }
  std::pmr::memory_resource* batch_memory() const override { return backend_->batch_memory(); }
  EngineStats stats() const override;
  // The backend's stages, then the driver's: "judge" (watermark verdicts), "sort" (ordering a
  // window's rows) and "emit" (everything emission takes, backend stages included).
  std::vector<std::pair<std::string, double>> stage_seconds() const override;
  void save_state(std::ostream& out) const override;
  void restore_state(std::istream& in) override;

  const EngineConfig& config() const { return cfg_; }
  unsigned threads() const { return pool_.size(); }

 private:
  static EngineConfig checked(EngineConfig c);
  // Step 1; returns the watermark after the batch.
  int64_t judge(uint32_t partition, const EventColumns& batch, int64_t now_ms, ResultSink& sink);
  void apply(const WindowPlan& plan, ResultSink& sink);
  void emit_topn(int64_t minute, bool correction, ResultSink& sink);
  uint16_t filter_id(uint32_t slot) const { return slot == 0 ? 0 : cfg_.filters.defs()[slot - 1].id; }

  EngineConfig cfg_;
  ThreadPool pool_;
  BackendFactory factory_;
  std::unique_ptr<EngineBackend> backend_;
  WatermarkTracker wm_;
  WindowLifecycle life_;
  EngineStats stats_;

  // Per-batch scratch, reused.
  HostJudge host_judge_;
  BatchJudgement judged_;
  BatchTally tally_;
  std::vector<std::vector<TopNEntry>> candidates_;
  double judge_seconds_ = 0, sort_seconds_ = 0, emit_seconds_ = 0;
};

}  // namespace clickagg
