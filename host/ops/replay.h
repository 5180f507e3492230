// Replay (Kappa-style recalculation): recounts a range of minutes from the raw events and
// puts the result in the store in place of what the streaming path stored, chunk by chunk,
// one transaction per chunk.
//
// Per chunk [c0, c1) of the range:
//  - every minute of the chunk is written as a complete window result (a minute without
//    events as an empty one, which clears it), marked as a correction so the store's last
//    closed minute does not move;
//  - every top-N list (e, M, f) with e in the chunk is ranked again from the counts the store
//    holds once the chunk is written: the recount for minutes of the chunk, the stored counts
//    for minutes before it (already replaced when they lie in the range). After the last
//    chunk the same is done for the lists after the range whose windows reach into it, up to
//    the store's last closed minute (later lists the live path has not written yet). An empty
//    list is written only where that list is stored (to clear it), as the engines emit
//    empty lists only as corrections.
// So after a replay every affected list is exactly the ranking of the stored counts, and a
// second replay of the same range writes the same rows again: nothing changes.
//
// A live aggregator and sink keep running meanwhile: the replay's writes are ordinary store
// transactions and touch neither their state nor the last closed minute. Should the live path
// later emit a correction for a replayed minute (a late event into a window it still
// retains), that correction is its engine's complete view of the minute and replaces the
// replayed rows (the last writer wins), without the events its engine never counted. Replay
// therefore minutes the live path has purged (older than its watermark minus the allowed
// lateness); a reconciliation shows whether a minute needs it.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "host/ops/recount.h"
#include "host/ops/time_range.h"
#include "host/store/aggregate_store.h"

namespace clickagg::ops {

struct ReplayOptions {
  MinuteRange range;
  uint32_t top_n = 100;
  std::vector<uint32_t> topn_windows{1};
  RecountConfig recount;
  int64_t chunk_minutes = 60;  // minutes recounted and written per transaction
};

struct ReplayChunk {
  MinuteRange range;
  RecountStats recount;
  uint64_t minutes_with_counts = 0;
  uint64_t rows = 0;   // count rows written
  uint64_t lists = 0;  // top-N lists written
};

struct ReplayReport {
  uint64_t chunks = 0;
  uint64_t minutes = 0;  // minutes replaced
  uint64_t minutes_with_counts = 0;
  uint64_t rows = 0;
  uint64_t lists = 0;
  RecountStats recount;
};

// Throws what the source or the store throws; chunks written before stay written (each is
// complete on its own, and running the replay again finishes the job).
ReplayReport replay(EventSource& source, store::AggregateStore& store, const ReplayOptions& options,
                    const std::function<void(const ReplayChunk&)>& on_chunk = {});

}  // namespace clickagg::ops
