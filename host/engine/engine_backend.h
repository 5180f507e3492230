// What an engine's storage and compute provide to the driver (engine_driver.h), which owns
// the semantics: judging against the watermark, the window lifecycle, emission order, the
// counters, top-N list assembly and snapshot framing. A backend keeps the dictionary, the
// dedup sets and the group counts, and does the per-event work of a batch (dedup, filters,
// counting) on whatever it computes with: the CPU backend on threads, the GPU backend on the
// device. It never decides when a window closes or what is emitted.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/common/hash128.h"
#include "host/decode/event_columns.h"
#include "host/engine/ad_names.h"
#include "host/engine/batch_judge.h"
#include "host/engine/results.h"
#include "host/engine/window_lifecycle.h"

namespace clickagg {

// What counting a batch did: per local minute the events counted into it, split by whether
// they were judged ClosedLate; and the duplicates.
struct BatchTally {
  std::vector<uint64_t> open, late;
  uint64_t duplicates = 0;
  void reset(size_t minutes) {
    open.assign(minutes, 0);
    late.assign(minutes, 0);
    duplicates = 0;
  }
};

// A top-N request: minute e, the window sizes (ascending), N.
struct TopNQuery {
  int64_t minute = 0;
  std::span<const uint32_t> windows;
  uint32_t top_n = 0;
};

class EngineBackend {
 public:
  virtual ~EngineBackend() = default;
  virtual std::string_view name() const = 0;
  // The dictionary results name their ads by.
  virtual AdNamesPtr names() const = 0;
  // Engine::batch_memory().
  virtual std::pmr::memory_resource* batch_memory() const { return std::pmr::new_delete_resource(); }

  // Judges a whole batch (judge_rule.h, batch_judge.h) where the backend has its own means to
  // (the GPU backend, on its device); false leaves it to the driver's HostJudge. The result is
  // the same either way. A backend that judges may keep the per-event verdicts to itself
  // (out.verdict and out.local null): the driver then calls count() for that batch next.
  virtual bool judge(const EventColumns& batch, const JudgeRule& rule, BatchJudgement& out) {
    (void)batch, (void)rule, (void)out;
    return false;
  }

  // Dedups and counts every event of [j.begin, j.end) not judged DroppedLate: the first copy
  // of a key in a minute counts, into slot 0 and the slot of every filter it matches.
  virtual void count(const EventColumns& batch, const BatchJudgement& j, BatchTally& tally) = 0;

  // Every non-zero group of `minute` (filter ids, not slots), in any order, or in emission
  // order (row_order.h) where rows_in_order() says so.
  virtual void window_rows(int64_t minute, std::vector<CountRow>& out) = 0;
  virtual bool rows_in_order() const { return false; }
  // For every slot and window size, candidates that include the N best ads by the ranking of
  // topn_order.h (more are allowed): out[slot * windows + w].
  virtual void topn(const TopNQuery& q, std::vector<std::vector<TopNEntry>>& out) = 0;
  // Dedup state of `minute` can go (past allowed lateness).
  virtual void purge(int64_t minute) = 0;
  // Counts of `minute` can go (no list needs them any more).
  virtual void forget(int64_t minute) = 0;

  // Snapshots: the minutes holding counts and dedup state, and their contents.
  virtual std::vector<int64_t> count_minutes() const = 0;
  virtual std::vector<int64_t> seen_minutes() const = 0;
  virtual uint64_t fingerprint_count(int64_t minute) const = 0;
  virtual void for_each_fingerprint(int64_t minute, const std::function<void(const Hash128&)>& f) const = 0;
  // Restoring into a fresh backend, a minute at a time; `slot` as in count().
  struct RestoredRow {
    std::string ad;
    uint32_t slot = 0;
    uint64_t count = 0;
  };
  virtual void restore_counts(int64_t minute, std::span<const RestoredRow> rows) = 0;
  virtual void restore_fingerprints(int64_t minute, std::span<const Hash128> fps) = 0;
  // The whole snapshot has been passed in (a backend may upload it in one go here).
  virtual void restored() {}

  // Cumulative seconds per internal stage, for metrics; not saved.
  virtual std::vector<std::pair<std::string, double>> stage_seconds() const { return {}; }
};

}  // namespace clickagg
