#include "host/serve/store_probe.h"

#include <chrono>
#include <cmath>
#include <mutex>

namespace clickagg::serve {

namespace {

// One store read serves every value of a scrape: callbacks within a second share it.
class ProgressCache {
 public:
  explicit ProgressCache(std::shared_ptr<store::StorePool> stores) : stores_(std::move(stores)) {}

  store::Progress get() {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!have_ || now - read_at_ > std::chrono::seconds(1)) {
      cached_ = stores_->acquire()->progress();
      read_at_ = now;
      have_ = true;
    }
    return cached_;
  }

 private:
  std::shared_ptr<store::StorePool> stores_;
  std::mutex mu_;
  store::Progress cached_;
  std::chrono::steady_clock::time_point read_at_;
  bool have_ = false;
};

}  // namespace

void register_store_metrics(MetricsRegistry& metrics, std::shared_ptr<store::StorePool> stores) {
  auto cache = std::make_shared<ProgressCache>(std::move(stores));
  metrics.gauge_fn("clickagg_store_last_closed_minute_timestamp_seconds",
                   "End of the latest closed minute recorded in the store (Unix time).", [cache] {
                     const auto m = cache->get().last_closed_minute;
                     return m ? static_cast<double>((*m + 1) * 60) : std::nan("");
                   });
  struct ProgressCounter {
    const char* name;
    const char* help;
    uint64_t store::Progress::*field;
  };
  static constexpr ProgressCounter kCounters[] = {
      {"clickagg_store_events_total", "Events recorded by the writer.", &store::Progress::events},
      {"clickagg_store_counted_total", "Events counted.", &store::Progress::counted},
      {"clickagg_store_late_counted_total", "Events counted into an already closed window.",
       &store::Progress::late_counted},
      {"clickagg_store_duplicates_total", "Duplicate events not counted.",
       &store::Progress::duplicates},
      {"clickagg_store_dropped_late_total", "Events dropped because their window was purged.",
       &store::Progress::dropped_late},
      {"clickagg_store_rejected_total", "Malformed input records rejected.",
       &store::Progress::rejected},
      {"clickagg_store_windows_closed_total", "Windows closed.", &store::Progress::windows_closed},
      {"clickagg_store_corrections_total", "Window corrections emitted.",
       &store::Progress::corrections},
  };
  for (const ProgressCounter& c : kCounters)
    metrics.counter_fn(c.name, c.help, [cache, field = c.field] {
      return static_cast<double>(cache->get().*field);
    });
}

}  // namespace clickagg::serve
