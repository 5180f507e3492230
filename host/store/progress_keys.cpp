#include "host/store/progress_keys.h"

namespace clickagg::store {

namespace {
uint64_t counter(int64_t v) { return v < 0 ? 0 : static_cast<uint64_t>(v); }
}  // namespace

Progress progress_from_meta(const MetaRows& rows) {
  Progress p;
  for (const auto& [key, value] : rows) {
    if (key == kLastClosedMinuteKey) p.last_closed_minute = value;
    if (key == kConsumerLagKey) p.consumer_lag = value;
    for (const CounterField& f : kCounterFields)
      if (key == f.name) p.*f.member = counter(value);
  }
  return p;
}

std::optional<ReconcileStatus> reconcile_from_meta(const MetaRows& rows) {
  ReconcileStatus status;
  bool found = false;
  for (const auto& [key, value] : rows) {
    for (const auto& [name, field] : kReconcileKeys)
      if (key == name) status.*field = value, found = true;
    for (const auto& [name, field] : kReconcileCounterKeys)
      if (key == name) status.*field = counter(value);
  }
  if (!found) return std::nullopt;
  return status;
}

}  // namespace clickagg::store
