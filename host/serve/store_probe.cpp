#include "host/serve/store_probe.h"

#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <string>

#include "host/common/event_counters.h"

namespace clickagg::serve {

namespace {

// What one scrape reads from the store.
struct StoreSnapshot {
  store::Progress progress;
  std::optional<store::ReconcileStatus> reconcile;
};

// One store read serves every value of a scrape: callbacks within a second share it.
class ProgressCache {
 public:
  explicit ProgressCache(std::shared_ptr<store::StorePool> stores) : stores_(std::move(stores)) {}

  StoreSnapshot get() {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!have_ || now - read_at_ > std::chrono::seconds(1)) {
      auto store = stores_->acquire();
      cached_ = StoreSnapshot{store->progress(), store->last_reconcile()};
      read_at_ = now;
      have_ = true;
    }
    return cached_;
  }

 private:
  std::shared_ptr<store::StorePool> stores_;
  std::mutex mu_;
  StoreSnapshot cached_;
  std::chrono::steady_clock::time_point read_at_;
  bool have_ = false;
};

}  // namespace

void register_store_metrics(metrics::MetricsRegistry& metrics, std::shared_ptr<store::StorePool> stores) {
  auto cache = std::make_shared<ProgressCache>(std::move(stores));
  // Values the store does not hold (nothing closed, no lag reported, no reconciliation yet)
  // read as NaN, never as a misleading 0.
  metrics.gauge_fn("clickagg_store_last_closed_minute_timestamp_seconds",
                   "End of the latest closed minute recorded in the store (Unix time).", [cache] {
                     const auto m = cache->get().progress.last_closed_minute;
                     return m ? static_cast<double>((*m + 1) * 60) : std::nan("");
                   });
  struct ReconcileValue {
    const char* name;
    const char* help;
    double (*read)(const store::ReconcileStatus&);
  };
  static constexpr ReconcileValue kReconcile[] = {
      {"clickagg_reconcile_checked_at_seconds", "When the last reconciliation finished (Unix time).",
       [](const store::ReconcileStatus& r) { return static_cast<double>(r.checked_at_ms) / 1000.0; }},
      {"clickagg_reconcile_groups_checked",
       "(ad, minute, filter) groups the last reconciliation compared.",
       [](const store::ReconcileStatus& r) { return static_cast<double>(r.groups_checked); }},
      {"clickagg_reconcile_mismatches",
       "Groups whose stored count differed from the recount in the last reconciliation.",
       [](const store::ReconcileStatus& r) { return static_cast<double>(r.mismatches); }},
  };
  for (const ReconcileValue& v : kReconcile)
    metrics.gauge_fn(v.name, v.help, [cache, read = v.read] {
      const auto r = cache->get().reconcile;
      return r ? read(*r) : std::nan("");
    });
  metrics.gauge_fn("clickagg_store_consumer_lag",
                   "Records the aggregators had yet to read when progress was last recorded.", [cache] {
                     const auto lag = cache->get().progress.consumer_lag;
                     return lag ? static_cast<double>(*lag) : std::nan("");
                   });
  // The writer's counters, as the store last recorded them.
  for (const CounterField& f : kCounterFields)
    metrics.counter_fn(std::string("clickagg_store_") + f.name + "_total", f.help, [cache, member = f.member] {
      return static_cast<double>(cache->get().progress.*member);
    });
}

}  // namespace clickagg::serve
