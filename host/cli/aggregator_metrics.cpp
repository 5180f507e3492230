#include "host/cli/aggregator_metrics.h"

#include <limits>
#include <string>

#include "host/common/event_counters.h"

namespace clickagg::cli {

void register_aggregator_metrics(stream::AggregatorProbe& probe) {
  auto& r = probe.registry;
  r.counter_of("clickagg_aggregator_messages_total", "Records consumed from Kafka by this process", probe.messages);
  r.gauge_of("clickagg_aggregator_partitions", "Partitions this process owns now", probe.partitions);
  r.counter_of("clickagg_aggregator_assignments_total", "Group rebalances that gave this process partitions",
               probe.assignments);
  r.counter_of("clickagg_aggregator_revocations_total", "Group rebalances that took partitions away", probe.revocations);
  // The counters below are sums over the partitions owned now, each since its first start.
  for (size_t i = 0; i < probe.counters.size(); ++i)
    r.counter_of(std::string("clickagg_aggregator_") + kCounterFields[i].name + "_total", kCounterFields[i].help,
                 probe.counters[i]);
  r.counter_of("clickagg_aggregator_batches_total", "Micro-batches processed", probe.batches);
  r.counter_of("clickagg_aggregator_replayed_batches_total", "Batches re-executed from the batch log", probe.replayed_batches);
  r.counter_of("clickagg_aggregator_checkpoints_total", "Checkpoints written", probe.checkpoints);
  r.counter_of("clickagg_aggregator_checkpoint_failures_total", "Checkpoints put off because the sink had not acknowledged",
          probe.checkpoint_failures);
  r.counter_of("clickagg_aggregator_resent_total", "Results sent to the sink again", probe.resent);
  r.counter_of("clickagg_aggregator_backpressure_milliseconds_total", "Time spent waiting for the sink", probe.backpressure_ms);
  r.gauge_of("clickagg_aggregator_in_flight", "Results not yet acknowledged by the sink", probe.in_flight);
  r.gauge_of("clickagg_aggregator_acked_seq", "Sum over owned partitions of the highest sequence number the sink acknowledged", probe.acked_seq);
  r.gauge_of("clickagg_aggregator_sent_seq", "Sum over owned partitions of the last sequence number sent", probe.sent_seq);
  r.gauge_fn("clickagg_aggregator_watermark_seconds", "Event-time watermark", [&probe] {
    const int64_t w = probe.watermark_ms.load();
    return w == INT64_MIN || w == INT64_MAX ? 0.0 : static_cast<double>(w) / 1000.0;
  });
  r.gauge_fn("clickagg_aggregator_batch_seconds", "Duration of the last micro-batch",
             [&probe] { return probe.last_batch_seconds.load(); });
  r.gauge_fn("clickagg_aggregator_checkpoint_seconds", "Duration of the last checkpoint",
             [&probe] { return probe.last_checkpoint_seconds.load(); });
  r.gauge_fn("clickagg_aggregator_consumer_lag_total",
             "Records not yet consumed, all owned partitions (NaN: unknown, no broker answers)", [&probe] {
               const std::optional<int64_t> total = probe.total_lag();
               return total ? static_cast<double>(*total) : std::numeric_limits<double>::quiet_NaN();
             });
}

std::string render_lag(const stream::AggregatorProbe& probe) {
  std::string body = "# HELP clickagg_aggregator_consumer_lag Records in the partition not yet consumed\n";
  body += "# TYPE clickagg_aggregator_consumer_lag gauge\n";
  for (const auto& [part, lag] : probe.lag())
    body += "clickagg_aggregator_consumer_lag{partition=\"" + std::to_string(part) + "\"} " + std::to_string(lag) + "\n";
  return body;
}

AggregatorMetricsServer::AggregatorMetricsServer(const std::string& listen, stream::AggregatorProbe& probe,
                                                 std::chrono::milliseconds health_grace) {
  register_aggregator_metrics(probe);
  endpoint_ = std::make_unique<metrics::MetricsEndpoint>(
      listen, probe.registry, [&probe] { return render_lag(probe); },
      [&probe, health_grace] { return probe.unhealthy(health_grace); });
}

}  // namespace clickagg::cli
