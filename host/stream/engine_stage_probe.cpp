#include "host/stream/engine_stage_probe.h"

#include <map>
#include <mutex>

namespace clickagg::stream {

struct EngineStageProbe::Shared {
  std::mutex mu;
  std::map<std::string, double> seconds;
};

EngineStageProbe::EngineStageProbe(metrics::MetricsRegistry& registry)
    : registry_(registry), shared_(std::make_shared<Shared>()) {}

void EngineStageProbe::publish(const std::vector<std::pair<std::string, double>>& stages) {
  std::vector<std::string> added;
  {
    std::lock_guard lock(shared_->mu);
    for (const auto& [stage, secs] : stages) {
      auto [it, inserted] = shared_->seconds.insert_or_assign(stage, secs);
      if (inserted) added.push_back(stage);
    }
  }
  // Registered outside our lock: scrape callbacks take the registry's lock, then ours.
  for (const std::string& stage : added) {
    registry_.counter_fn(
        "clickagg_engine_stage_seconds_total", "Time the engine spent per stage.",
        [shared = shared_, stage] {
          std::lock_guard lock(shared->mu);
          return shared->seconds[stage];
        },
        {{"stage", stage}});
  }
}

}  // namespace clickagg::stream
