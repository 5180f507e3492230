// Reconciliation: the recount of a range (recount.h) compared with the counts the store
// holds, group by group, (ad_id, minute, filter_id), in both directions: a stored group the
// recount lacks and a recounted group the store lacks are mismatches too.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "host/ops/recount.h"
#include "host/ops/time_range.h"
#include "host/store/aggregate_store.h"

namespace clickagg::ops {

struct ReconcileOptions {
  MinuteRange range;
  RecountConfig recount;
  int64_t chunk_minutes = 60;  // minutes recounted and compared at a time (bounds memory)
};

struct Mismatch {
  int64_t minute = 0;
  uint16_t filter_id = 0;
  std::string ad_id;
  uint64_t stored = 0;      // 0: no stored row
  uint64_t recounted = 0;   // 0: absent from the recount
  bool operator==(const Mismatch&) const = default;
};

struct ReconcileReport {
  MinuteRange range;
  uint64_t groups_checked = 0;  // groups in the store or the recount (the union)
  uint64_t matched = 0;
  std::vector<Mismatch> mismatches;  // by minute, filter_id, then ad_id bytes
  RecountStats recount;
  bool clean() const { return mismatches.empty(); }
};

ReconcileReport reconcile(EventSource& source, store::AggregateStore& store, const ReconcileOptions& options);

// What the store keeps of a report (dashboard, metrics).
store::ReconcileStatus status_of(const ReconcileReport& report, int64_t checked_at_ms);

}  // namespace clickagg::ops
