// The aggregator's /metrics and /healthz endpoint: the probe's values in the Prometheus text
// format, read at scrape time.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "host/metrics/metrics_endpoint.h"
#include "host/stream/aggregator_probe.h"

namespace clickagg::cli {

class AggregatorMetricsServer {
 public:
  // Registers the probe's series in its registry and listens on `listen` ("HOST:PORT") in a
  // background thread; throws when it cannot bind. The probe must outlive the server.
  // /healthz answers 503 once the probe has been unhealthy for `health_grace`.
  AggregatorMetricsServer(const std::string& listen, stream::AggregatorProbe& probe,
                          std::chrono::milliseconds health_grace);

 private:
  std::unique_ptr<metrics::MetricsEndpoint> endpoint_;
};

// Registers the probe's atomics in its registry (what the endpoint renders, less the
// per-partition lag, which render_lag() writes).
void register_aggregator_metrics(stream::AggregatorProbe& probe);
// The per-partition consumer lag series (partitions come and go with the assignment).
std::string render_lag(const stream::AggregatorProbe& probe);

}  // namespace clickagg::cli
