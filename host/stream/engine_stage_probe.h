// An engine's cumulative stage times (Engine::stage_seconds) on /metrics as the counter
// clickagg_engine_stage_seconds_total{stage="..."}. The thread that drives the engine
// publishes a copy after each batch; scrapes read that copy, never the engine itself.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "host/engine/engine.h"
#include "host/metrics/metrics_registry.h"

namespace clickagg::stream {

class EngineStageProbe {
 public:
  explicit EngineStageProbe(metrics::MetricsRegistry& registry);
  // Copies the engine's stage times; a stage seen for the first time gets its series.
  void publish(const Engine& engine) { publish(engine.stage_seconds()); }
  void publish(const std::vector<std::pair<std::string, double>>& stages);

 private:
  struct Shared;
  metrics::MetricsRegistry& registry_;
  std::shared_ptr<Shared> shared_;  // also held by the scrape callbacks
};

}  // namespace clickagg::stream
