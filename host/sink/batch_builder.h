// Collects the bodies a round applies, in seq order, into one store batch. A newer window
// result for the same minute (or list for the same key) supersedes the older one: each is a
// complete state, so only the last matters, but a superseded original still closed its minute.
// A result of one input partition is that partition's complete share: keyed by partition too,
// so several partitions' shares of a minute all reach the store.
// Progress counters are absolute: the last one of the round is written, per partition for the
// counters of single partitions' tasks.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "host/emit/envelope_codec.h"
#include "host/store/aggregate_store.h"

namespace clickagg::sink {

class BatchBuilder {
 public:
  void add(const emit::Body& body);
  // Moves everything collected into `batch` (which keeps its other fields) and starts over.
  void move_into(store::ResultBatch& batch);
  bool empty() const {
    return windows_.empty() && lists_.empty() && late_.empty() && rejects_.empty() && !progress_ &&
           partition_progress_.empty();
  }

 private:
  // Unpartitioned results (nullopt) sort before a minute's partitions' shares.
  std::map<std::pair<int64_t, std::optional<uint32_t>>, WindowResult> windows_;
  std::map<std::tuple<int64_t, uint32_t, uint16_t, std::optional<uint32_t>>, TopNList> lists_;
  std::vector<LateRecord> late_;
  std::vector<store::RejectEntry> rejects_;
  std::optional<store::Progress> progress_;
  std::map<uint32_t, store::Progress> partition_progress_;
};

// The store's progress values for an aggregator's counters: the last closed minute follows
// from its watermark (window m is closed once the watermark reaches the end of m).
store::Progress to_store_progress(const emit::ProgressRecord& p);

}  // namespace clickagg::sink
