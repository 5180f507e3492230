// The aggregator's /metrics and /healthz endpoint: the probe's values in the Prometheus text
// format, read at scrape time.
#pragma once
#include <memory>
#include <string>

#include "host/stream/aggregator_probe.h"

namespace clickagg::cli {

class AggregatorMetricsServer {
 public:
  // Listens on `listen` ("HOST:PORT") in a background thread; throws when it cannot bind.
  AggregatorMetricsServer(const std::string& listen, const stream::AggregatorProbe& probe);
  ~AggregatorMetricsServer();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clickagg::cli
