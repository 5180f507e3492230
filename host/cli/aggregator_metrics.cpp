#include "host/cli/aggregator_metrics.h"

#include <httplib.h>

#include <stdexcept>
#include <thread>

#include "host/serve/listen_address.h"
#include "host/serve/metrics_registry.h"

namespace clickagg::cli {

struct AggregatorMetricsServer::Impl {
  serve::MetricsRegistry registry;
  httplib::Server server;
  std::thread thread;
};

AggregatorMetricsServer::AggregatorMetricsServer(const std::string& listen, const stream::AggregatorProbe& probe)
    : impl_(std::make_unique<Impl>()) {
  auto& r = impl_->registry;
  auto counter = [&](const char* name, const char* help, const std::atomic<uint64_t>& v) {
    r.counter_fn(name, help, [&v] { return static_cast<double>(v.load()); });
  };
  counter("clickagg_aggregator_messages_total", "Records consumed from Kafka", probe.messages);
  counter("clickagg_aggregator_rejected_total", "Records that failed to decode (dead letters)", probe.rejected);
  counter("clickagg_aggregator_counted_total", "Events counted", probe.counted);
  counter("clickagg_aggregator_late_counted_total", "Events counted into closed windows", probe.late_counted);
  counter("clickagg_aggregator_dropped_late_total", "Events past allowed lateness", probe.dropped_late);
  counter("clickagg_aggregator_duplicates_total", "Duplicate events", probe.duplicates);
  counter("clickagg_aggregator_batches_total", "Micro-batches processed", probe.batches);
  counter("clickagg_aggregator_replayed_batches_total", "Batches re-executed from the batch log", probe.replayed_batches);
  counter("clickagg_aggregator_checkpoints_total", "Checkpoints written", probe.checkpoints);
  counter("clickagg_aggregator_backpressure_milliseconds_total", "Time spent waiting for the sink", probe.backpressure_ms);
  r.gauge_fn("clickagg_aggregator_in_flight", "Results not yet acknowledged by the sink",
             [&probe] { return static_cast<double>(probe.in_flight.load()); });
  r.gauge_fn("clickagg_aggregator_acked_seq", "Highest sequence number the sink acknowledged",
             [&probe] { return static_cast<double>(probe.acked_seq.load()); });
  r.gauge_fn("clickagg_aggregator_watermark_seconds", "Event-time watermark", [&probe] {
    const int64_t w = probe.watermark_ms.load();
    return w == INT64_MIN ? 0.0 : static_cast<double>(w) / 1000.0;
  });
  r.gauge_fn("clickagg_aggregator_batch_seconds", "Duration of the last micro-batch",
             [&probe] { return probe.last_batch_seconds.load(); });
  r.gauge_fn("clickagg_aggregator_checkpoint_seconds", "Duration of the last checkpoint",
             [&probe] { return probe.last_checkpoint_seconds.load(); });

  const stream::AggregatorProbe* p = &probe;
  impl_->server.Get("/metrics", [this, p](const httplib::Request&, httplib::Response& res) {
    std::string body = impl_->registry.render();
    // Per-partition lag changes with the assignment, so it is rendered here directly.
    body += "# HELP clickagg_aggregator_consumer_lag Records in the partition not yet consumed\n";
    body += "# TYPE clickagg_aggregator_consumer_lag gauge\n";
    for (const auto& [part, lag] : p->lag())
      body += "clickagg_aggregator_consumer_lag{partition=\"" + std::to_string(part) + "\"} " + std::to_string(lag) + "\n";
    res.set_content(body, "text/plain; version=0.0.4");
  });
  impl_->server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  const serve::ListenAddress addr = serve::parse_listen_address(listen);
  if (!impl_->server.bind_to_port(addr.host, addr.port))
    throw std::runtime_error("cannot listen for metrics on " + listen);
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
}

AggregatorMetricsServer::~AggregatorMetricsServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace clickagg::cli
