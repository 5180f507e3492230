// Names of the progress values in the meta table, shared by every backend so a database
// reads the same whichever process wrote it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "host/store/aggregate_store.h"

namespace clickagg::store {

inline constexpr const char* kLastClosedMinuteKey = "last_closed_minute";
inline constexpr const char* kConsumerLagKey = "consumer_lag";

// The counters are kept under their own names (kCounterFields, host/common/event_counters.h).

// The last reconciliation, kept beside the progress values but written by its own command
// (the sink's progress writes never touch these keys).
inline constexpr std::pair<const char*, int64_t ReconcileStatus::*> kReconcileKeys[] = {
    {"reconcile_checked_at_ms", &ReconcileStatus::checked_at_ms},
    {"reconcile_from_minute", &ReconcileStatus::from_minute},
    {"reconcile_to_minute", &ReconcileStatus::to_minute},
};
inline constexpr std::pair<const char*, uint64_t ReconcileStatus::*> kReconcileCounterKeys[] = {
    {"reconcile_groups_checked", &ReconcileStatus::groups_checked},
    {"reconcile_mismatches", &ReconcileStatus::mismatches},
};

// The meta table's rows as a backend reads them: (key, value).
using MetaRows = std::vector<std::pair<std::string, int64_t>>;

// What the rows say, the same for every backend. Counters are never negative.
Progress progress_from_meta(const MetaRows& rows);
std::optional<ReconcileStatus> reconcile_from_meta(const MetaRows& rows);

}  // namespace clickagg::store
