// The engine interface every implementation (CPU, GPU) sits behind. An engine holds
// read-only configuration plus explicit window state; callers feed decoded events per input
// partition in arrival order and receive results through a ResultSink.
//
// Semantics (identical in every engine):
//  - minute = floor(t_ms / 60000); window = [minute*60s, (minute+1)*60s).
//  - per partition, wm_p = max accepted event time - delay; the watermark W is the minimum
//    over active partitions (a partition idle for longer than idle_timeout stops counting).
//  - a window closes (counts final, emitted) once W >= end; it is retained until
//    W >= end + allowed_lateness, then purged.
//  - an event is judged against W as it stood just before the event: purged window ->
//    dropped late; else deduplicated per window (click_id, else the whole tuple);
//    else counted for filter 0 and every matching filter; counted into a closed window ->
//    late_counted and the window is emitted again as a correction.
//  - emissions happen at the end of each process() call: a window that closes inside a call
//    is emitted once with everything the call counted into it.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/common/event_counters.h"
#include "host/common/event.h"
#include "host/decode/event_columns.h"
#include "host/engine/filters.h"
#include "host/engine/results.h"

namespace clickagg {

struct EngineConfig {
  int64_t delay_ms = 15'000;
  int64_t allowed_lateness_ms = 600'000;
  uint32_t top_n = 100;
  std::vector<uint32_t> topn_windows{1};  // window sizes in minutes, ascending, unique
  FilterSet filters;
  unsigned threads = 0;                   // 0: all hardware threads
  int64_t idle_timeout_ms = 60'000;       // processing time without events before a
                                          // partition stops holding the watermark back
  // Events dated further ahead of processing time are rejected when decoded, never judged
  // (event_time_bound.h); nullopt: no bound (replays of old data).
  std::optional<int64_t> max_future_ms = 600'000;
};

// The engine's counters (`rejected` stays 0: decoding is before the engine) and watermark.
struct EngineStats : EventCounters {
  int64_t watermark_ms = INT64_MIN;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string_view name() const = 0;

  // A batch of one partition's events, in arrival order. `now_ms` is processing time, used
  // only for partition idleness.
  virtual void process(uint32_t partition, const EventColumns& batch, int64_t now_ms, ResultSink& sink) = 0;
  // Event records (tests, one-off tools): the same, through their columns.
  void process(uint32_t partition, std::span<const Event> events, int64_t now_ms, ResultSink& sink) {
    process(partition, columns_of(events), now_ms, sink);
  }
  // Re-evaluates idleness at processing time `now_ms` (no events), closing what that allows.
  virtual void tick(int64_t now_ms, ResultSink& sink) = 0;
  // End of input (batch mode): closes every window and emits the remaining top-N lists.
  virtual void finish(ResultSink& sink) = 0;
  // Forgets a revoked partition: it no longer holds the watermark back.
  virtual void drop_partition(uint32_t partition) = 0;

  // Where a caller should build this engine's batches (EventColumns' memory resource): pinned
  // host memory for a GPU engine, whose uploads then need no staging; the heap otherwise.
  // Valid for the whole process, so batches may outlive the engine.
  virtual std::pmr::memory_resource* batch_memory() const { return std::pmr::new_delete_resource(); }

  virtual EngineStats stats() const = 0;
  // Cumulative seconds spent per internal stage (a GPU engine's copies and kernels), for
  // metrics; empty where an engine does not time its stages. Not part of the saved state.
  virtual std::vector<std::pair<std::string, double>> stage_seconds() const { return {}; }

  // Complete state (watermarks, open and retained windows, dedup sets, top-N history) so a
  // restart resumes exactly; restore() replaces the current state.
  virtual void save_state(std::ostream& out) const = 0;
  virtual void restore_state(std::istream& in) = 0;
};

// The CPU engine (cpu_backend.cpp); host/engines/engines.h chooses among every engine.
std::unique_ptr<Engine> make_cpu_engine(const EngineConfig& config);

}  // namespace clickagg
