// A metrics-only HTTP endpoint for the processes without an API (aggregator, sink, archive,
// watch): /metrics in the
// Prometheus text format from a registry, and /healthz. Serves from a background thread.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "host/metrics/metrics_registry.h"

namespace clickagg::metrics {

class MetricsEndpoint {
 public:
  // What /healthz reports: nullopt while healthy (200 {"status":"ok"}), else the reason
  // (503 {"status":"unavailable","reason":...}).
  using HealthCheck = std::function<std::optional<std::string>()>;

  // Listens on `listen` ("HOST:PORT", port 0: any free port); throws std::runtime_error when
  // it cannot bind. `extra`, when given, appends series the registry cannot hold (rendered
  // at scrape time); `health`, when given, decides /healthz. All must outlive the endpoint.
  MetricsEndpoint(const std::string& listen, const MetricsRegistry& registry,
                  std::function<std::string()> extra = {}, HealthCheck health = {});
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clickagg::metrics
