// The CPU engine's storage and compute (behind EngineDriver).
//
// State is split into shards, one per worker thread. Shard i owns the ads whose hash falls in
// it (their slice of the dictionary, and every minute's group counts for them) and the
// fingerprints whose hash falls in it (its slice of every minute's dedup set). With more than
// one thread a batch is partitioned once, by a counting sort of event indexes into both
// shardings (stable, so each shard sees its events in arrival order); then
//   1. each fingerprint shard dedups its events: the first copy of a key in a minute counts;
//   2. each ad shard interns, matches filters (filter_program.h) and counts its events.
// With one thread the events are walked in place.
//
// The tables are far larger than the caches at 2 M ads, so every walk requests the table
// lines of the events a few steps ahead (dedup slot; dictionary slot, then, once that has
// arrived, the name's head; group line): their cache misses overlap instead of following one
// another (memory-level parallelism, not instruction count, sets the rate).
//
// Top-N lists of a window of M > 1 minutes come from a running sum per shard and window size
// (sliding_sum.h): the sum over the minutes it holds, moved to minute e by adding the minutes
// it lacks and taking off those it no longer covers, in one sequential merge of sorted runs,
// instead of adding up M minutes for every list. A running sum holds closed minutes only, so
// an event adds to one only when it is counted late into a minute it holds. A minute
// forgotten while a sum holds it keeps its table until that sum's next move takes it off with
// the rest it drops: one pass over the sum instead of two, and none at the end of input.
#pragma once
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "host/engine/ad_dictionary.h"
#include "host/engine/engine.h"
#include "host/engine/engine_backend.h"
#include "host/engine/filter_program.h"
#include "host/engine/flat_tables.h"
#include "host/engine/sliding_sum.h"
#include "host/engine/thread_pool.h"

namespace clickagg {

class CpuBackend final : public EngineBackend {
 public:
  CpuBackend(const EngineConfig& config, ThreadPool& pool);

  std::string_view name() const override { return "cpu"; }
  AdNamesPtr names() const override { return dict_.names(); }
  std::pmr::memory_resource* batch_memory() const override { return table_memory_resource(); }
  void count(const EventColumns& batch, const BatchJudgement& j, BatchTally& tally) override;
  void window_rows(int64_t minute, std::vector<CountRow>& out) override;
  void topn(const TopNQuery& q, std::vector<std::vector<TopNEntry>>& out) override;
  void purge(int64_t minute) override;
  void forget(int64_t minute) override;
  std::vector<int64_t> count_minutes() const override;
  std::vector<int64_t> seen_minutes() const override;
  uint64_t fingerprint_count(int64_t minute) const override;
  void for_each_fingerprint(int64_t minute, const std::function<void(const Hash128&)>& f) const override;
  void restore_counts(int64_t minute, std::span<const RestoredRow> rows) override;
  void restore_fingerprints(int64_t minute, std::span<const Hash128> fps) override;
  // "classify" (filter classes), "partition", "dedup", "count" (intern and add), "dictionary"
  // (new names' global indexes), "rows" and "topn" (emission).
  std::vector<std::pair<std::string, double>> stage_seconds() const override;

 private:
  struct RunningSum {
    std::set<int64_t> held;  // minutes added in
    SlidingSum sums;
  };
  struct Shard {
    explicit Shard(const FilterProgram& p) : match(p) {}
    std::map<int64_t, GroupTable> counts;  // minute -> (local ad, slot) -> count
    std::map<int64_t, FingerprintSet> seen;
    std::map<int64_t, GroupTable> retired;  // forgotten minutes a running sum still holds
    std::vector<RunningSum> running;       // per top-N window size (unused for size 1)
    FilterMatcher match;                   // this shard's thread's
    // Per batch, by local minute.
    std::vector<GroupTable*> count_of;
    std::vector<FingerprintSet*> seen_of;
    std::vector<std::vector<SlidingSum*>> held_by;  // running sums holding the minute
    std::vector<uint64_t> open, late;
    uint64_t duplicates = 0;
    std::vector<uint32_t> todo;                 // events to count, in arrival order
    std::vector<uint32_t> ad_of;                // their local ad indexes
    std::vector<uint64_t> dup_bits;             // events this fingerprint shard found repeated
    std::vector<std::vector<TopNEntry>> found;  // top-N candidates, per list
    std::vector<uint64_t> need;                 // select(): per slot, the count to beat
    // Sorted runs of the minutes entering and leaving a running sum; the entering run is kept
    // for the other window sizes of the same top-N call (`entering`: its minutes).
    std::vector<int64_t> entering;
    SlidingSum::Run enter_run, leave_run, run_scratch;
  };

  unsigned fp_shard(const Hash128& fp) const { return static_cast<unsigned>(((fp.hi >> 32) * shards_.size()) >> 32); }
  uint16_t filter_id(uint32_t slot) const { return slot == 0 ? 0 : cfg_.filters.defs()[slot - 1].id; }
  // A minute's counts, hashed with the minute as seed (flat_tables.h), sized for `groups`.
  static GroupTable& minute_table(Shard& sh, int64_t minute, size_t groups);
  void prepare(Shard& sh, const BatchJudgement& j);
  // A batch minute's tables, made on first use: the lookup is inline (twice per event, for the
  // probe and the request ahead), the making is not.
  FingerprintSet& seen_table(Shard& sh, const BatchJudgement& j, uint32_t local) {
    FingerprintSet* p = sh.seen_of[local];
    return __builtin_expect(p != nullptr, 1) ? *p : make_seen_table(sh, j, local);
  }
  GroupTable& count_table(Shard& sh, const BatchJudgement& j, uint32_t local) {
    GroupTable* p = sh.count_of[local];
    return __builtin_expect(p != nullptr, 1) ? *p : make_count_table(sh, j, local);
  }
  FingerprintSet& make_seen_table(Shard& sh, const BatchJudgement& j, uint32_t local);
  GroupTable& make_count_table(Shard& sh, const BatchJudgement& j, uint32_t local);
  void classify(const EventColumns& batch, const BatchJudgement& j);
  void partition(const EventColumns& batch, const BatchJudgement& j);
  void dedup(Shard& sh, const EventColumns& batch, const BatchJudgement& j, const uint32_t* seq, size_t n);
  void count_events(unsigned s, const EventColumns& batch, const BatchJudgement& j);
  // A running sum as select() reads it: moved to the minute, its groups visited as the move
  // writes them.
  struct MovedSum {
    CpuBackend& backend;
    Shard& sh;
    size_t window_index;
    int64_t minute;
    template <class F>
    void for_each(F&& f);
  };
  // Moves the shard's running sum for window size windows[window_index] to `minute`, visiting
  // every group of the moved sum (SlidingSum::move).
  template <class F>
  void position(Shard& sh, size_t window_index, int64_t minute, F&& visit);
  // The sorted run of the counts of `minutes`: a retired minute's when `leaving`.
  void run_of(Shard& sh, const std::vector<int64_t>& minutes, bool leaving, SlidingSum::Run& out);
  static void release_retired(Shard& sh);
  template <class Groups>
  void select(unsigned s, Groups& groups, size_t window_index, size_t windows, uint32_t top_n);

  EngineConfig cfg_;
  ThreadPool& pool_;
  FilterProgram program_;
  AdDictionary dict_;
  std::vector<Shard> shards_;

  // Per-batch scratch.
  std::vector<uint64_t> classes_;             // filter classes per event
  std::vector<uint32_t> kept_;                // with one thread: the events not dropped late
  std::vector<uint32_t> shard_pair_;           // per event: fingerprint shard | ad shard << 16
  static constexpr uint32_t kNoShards = 0xFFFFFFFFu;  // a dropped event's
  std::vector<uint32_t> fp_order_, ad_order_;  // event indexes grouped by shard
  std::vector<size_t> fp_begin_, ad_begin_;    // shard s: [begin[s], begin[s + 1])

  enum Stage { kClassify, kPartition, kDedup, kCount, kDictionary, kRows, kTopN, kStages };
  double seconds_[kStages] = {};
};

std::unique_ptr<EngineBackend> make_cpu_backend(const EngineConfig& config, ThreadPool& pool);

}  // namespace clickagg
