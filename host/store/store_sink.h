// A ResultSink that keeps what an engine emits in memory and writes it to an aggregate store
// in one transaction per flush(). Within a batch a newer result for the same minute (or the
// same top-N key) supersedes the older one: each result is complete, so only the last matters.
// Results of single input partitions are keyed by partition too (each is its partition's share).
// Events dropped late and rejected records travel in the same transaction, keyed by their
// input position, so a replayed flush adds nothing.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "host/engine/results.h"
#include "host/store/aggregate_store.h"

namespace clickagg::store {

class StoreSink final : public ResultSink {
 public:
  // `top_n`: the N the engine cuts its lists at (recorded so readers know when a short list
  // is complete).
  StoreSink(AggregateStore& store, uint32_t top_n);

  void on_window(const WindowResult& w) override;
  void on_topn(const TopNList& t) override;
  void on_late(const LateRecord& r) override;
  // A record the decoder refused, written with the next flush.
  void add_reject(RejectEntry r);

  // Progress written with the next flush (absolute counters).
  void set_progress(const Progress& p) { progress_ = p; }

  // Writes everything pending in one transaction. On failure the batch stays pending and
  // the exception propagates, so a later flush() retries it whole.
  void flush();

  size_t pending() const { return windows_.size() + lists_.size() + late_.size() + rejects_.size(); }
  uint64_t late_records() const { return late_records_; }
  uint64_t windows_written() const { return windows_written_; }
  uint64_t lists_written() const { return lists_written_; }

 private:
  AggregateStore& store_;
  uint32_t top_n_;
  using WindowKey = std::pair<int64_t, std::optional<uint32_t>>;
  using ListKey = std::tuple<int64_t, uint32_t, uint16_t, std::optional<uint32_t>>;
  static WindowKey key_of(const WindowResult& w) { return {w.minute, w.partition}; }
  static ListKey key_of(const TopNList& t) { return {t.minute, t.window, t.filter_id, t.partition}; }

  std::map<WindowKey, WindowResult> windows_;
  std::map<ListKey, TopNList> lists_;
  std::vector<LateRecord> late_;
  std::vector<RejectEntry> rejects_;
  std::optional<Progress> progress_;
  uint64_t late_records_ = 0;
  uint64_t windows_written_ = 0;
  uint64_t lists_written_ = 0;
};

}  // namespace clickagg::store
