// Collects the bodies a round applies, in seq order, into one store batch. A newer window
// result for the same minute (or list for the same key) supersedes the older one: each is a
// complete state, so only the last matters, but a superseded original still closed its minute.
// Progress counters are absolute: the last one of the round is written.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
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
    return windows_.empty() && lists_.empty() && late_.empty() && rejects_.empty() && !progress_;
  }

 private:
  std::map<int64_t, WindowResult> windows_;
  std::map<std::tuple<int64_t, uint32_t, uint16_t>, TopNList> lists_;
  std::vector<LateRecord> late_;
  std::vector<store::RejectEntry> rejects_;
  std::optional<store::Progress> progress_;
};

// The store's progress values for an aggregator's counters: the last closed minute follows
// from its watermark (window m is closed once the watermark reaches the end of m).
store::Progress to_store_progress(const emit::ProgressRecord& p);

}  // namespace clickagg::sink
