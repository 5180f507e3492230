// The CPU engine: the semantics of engine.h on worker threads.
//
// A micro-batch goes through four phases:
//   1. judge (sequential, cheap): the watermark as it stood before each event decides
//      dropped-late / open / closed-late;
//   2. fingerprint and shard (parallel over ranges of the batch);
//   3. dedup (parallel over fingerprint shards): every copy of a key lands in the same shard
//      and is seen in arrival order, so "first one counts" holds for any thread count;
//   4. count (parallel over ad_id shards): intern the ad, match filters, add to the minute's
//      per-filter count tables.
// Results are merged and sorted when emitted, so output is identical for any thread count.
#pragma once
#include <map>
#include <memory>
#include <vector>

#include "host/engine/ad_dictionary.h"
#include "host/engine/engine.h"
#include "host/engine/flat_tables.h"
#include "host/engine/thread_pool.h"
#include "host/engine/watermark.h"
#include "host/engine/window_lifecycle.h"

namespace clickagg {

class CpuEngine final : public Engine {
 public:
  explicit CpuEngine(const EngineConfig& config);

  std::string_view name() const override { return "cpu"; }
  void process(uint32_t partition, std::span<const Event> events, int64_t now_ms, ResultSink& sink) override;
  void tick(int64_t now_ms, ResultSink& sink) override;
  void finish(ResultSink& sink) override;
  void drop_partition(uint32_t partition) override { wm_.drop(partition); }
  EngineStats stats() const override;
  void save_state(std::ostream& out) const override;
  void restore_state(std::istream& in) override;

  unsigned shards() const { return static_cast<unsigned>(shards_.size()); }

 private:
  // One ad_id shard owns its ads' dictionary and counts; one fingerprint shard owns its part
  // of every window's dedup set. Shard i plays both roles, on different events.
  struct Shard {
    AdDictionary ads;
    std::map<int64_t, std::vector<CountTable>> counts;  // minute -> table per filter slot
    std::map<int64_t, FingerprintSet> seen;             // minute -> fingerprints
    std::vector<uint64_t> sums;                         // top-N scratch, indexed by ad
    std::vector<uint32_t> touched;
  };

  void apply(const WindowPlan& plan, ResultSink& sink);
  WindowResult window_result(int64_t minute, bool correction) const;
  void emit_topn(int64_t minute, bool correction, ResultSink& sink);
  void count_one(Shard& shard, const Event& ev, uint64_t ad_hash, int64_t minute);
  std::vector<CountTable>& tables_for(Shard& shard, int64_t minute);

  EngineConfig cfg_;
  uint32_t max_window_;
  ThreadPool pool_;
  std::vector<Shard> shards_;
  WatermarkTracker wm_;
  WindowLifecycle life_;
  EngineStats stats_;

  // Per-batch scratch, reused.
  std::vector<int64_t> minute_;
  std::vector<Verdict> verdict_;
  std::vector<Hash128> fp_;
  std::vector<uint64_t> ad_hash_;
  std::vector<uint16_t> fp_shard_, ad_shard_;
  std::vector<uint8_t> duplicate_;
};

}  // namespace clickagg
