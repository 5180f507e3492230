// Exposes the progress recorded in the store (last closed minute, event counters, consumer
// lag) and the last reconciliation as metrics, read once per scrape through a reader
// connection.
#pragma once
#include <memory>

#include "host/metrics/metrics_registry.h"
#include "host/store/store_pool.h"

namespace clickagg::serve {

void register_store_metrics(metrics::MetricsRegistry& metrics, std::shared_ptr<store::StorePool> stores);

}  // namespace clickagg::serve
