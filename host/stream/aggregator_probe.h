// What an operator watches on an aggregator, updated by the aggregator as it works and read
// by a metrics endpoint at scrape time (no locks on the hot path but the lag map's). Values
// that need more than an atomic (histograms, per-stage engine times) live in `registry`,
// which the endpoint renders together with the atomics below.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "host/common/event_counters.h"
#include "host/metrics/metrics_registry.h"
#include "host/stream/engine_stage_probe.h"

namespace clickagg::stream {

struct AggregatorProbe {
  metrics::MetricsRegistry registry;
  metrics::Histogram& batch_seconds = registry.histogram(
      "clickagg_aggregator_batch_duration_seconds", "Time to decode, aggregate and send one micro-batch",
      metrics::latency_buckets_seconds());
  metrics::Histogram& checkpoint_duration = registry.histogram(
      "clickagg_aggregator_checkpoint_duration_seconds",
      "Time to drain the sink's acknowledgements and write one checkpoint", metrics::latency_buckets_seconds());
  EngineStageProbe engine_stages{registry};

  std::atomic<uint64_t> messages{0};          // records consumed (this process)
  std::atomic<uint64_t> partitions{0};        // partitions this process owns now
  std::atomic<uint64_t> assignments{0};       // group rebalances that gave it partitions
  std::atomic<uint64_t> revocations{0};       // ... and that took them away
  // Sums over the partitions owned now, each cumulative since that partition's first start
  // (restored from its checkpoint), as sent in Progress.
  // (host/common/event_counters.h), by kCounterFields' index.
  std::array<std::atomic<uint64_t>, std::size(kCounterFields)> counters{};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> replayed_batches{0};  // re-executed from the batch log after a restart
  std::atomic<uint64_t> checkpoints{0};
  std::atomic<uint64_t> checkpoint_failures{0};  // the sink did not acknowledge in time
  std::atomic<double> last_checkpoint_seconds{0};
  std::atomic<double> last_batch_seconds{0};
  std::atomic<int64_t> watermark_ms{INT64_MIN};
  std::atomic<uint64_t> in_flight{0};         // results the sink has not acknowledged
  std::atomic<uint64_t> acked_seq{0};
  std::atomic<uint64_t> sent_seq{0};          // last sequence number sent
  std::atomic<uint64_t> resent{0};            // messages sent again (sink restarted, acks stalled)
  std::atomic<uint64_t> backpressure_ms{0};   // time spent waiting for the sink

  void set_counters(const EventCounters& c) {
    for (size_t i = 0; i < counters.size(); ++i) counters[i].store(c.*kCounterFields[i].member);
  }
  EventCounters counter_values() const {
    EventCounters c;
    for (size_t i = 0; i < counters.size(); ++i) c.*kCounterFields[i].member = counters[i].load();
    return c;
  }

  // Health, as steady-clock milliseconds (steady_ms()): when a Kafka broker was last seen up,
  // and since when this process owns no partition (-1 while it owns some).
  std::atomic<int64_t> broker_up_at_ms{steady_ms()};
  std::atomic<int64_t> unassigned_since_ms{steady_ms()};

  // `lag`: the partitions whose lag is known; `known`: every owned partition's is, and a
  // broker answers (otherwise the cached watermarks say nothing about what waits).
  void set_lag(const std::map<uint32_t, int64_t>& lag, bool known) {
    std::lock_guard lock(mu);
    lag_ = lag;
    lag_known_ = known;
  }
  std::map<uint32_t, int64_t> lag() const {
    std::lock_guard lock(mu);
    return lag_;
  }
  // The sum over owned partitions, nullopt when unknown.
  std::optional<int64_t> total_lag() const {
    std::lock_guard lock(mu);
    if (!lag_known_) return std::nullopt;
    int64_t total = 0;
    for (const auto& [p, l] : lag_) total += l;
    return total;
  }

  // Why this aggregator is not doing its job, once a condition has lasted `grace`: no broker
  // answers, or it owns no partition (a group with more members than partitions leaves some
  // idle: they report it too, since they process nothing). nullopt: healthy.
  std::optional<std::string> unhealthy(std::chrono::milliseconds grace) const {
    const int64_t now = steady_ms();
    const int64_t silent = now - broker_up_at_ms.load();
    if (silent >= grace.count()) return "no Kafka broker has answered for " + std::to_string(silent / 1000) + " s";
    const int64_t since = unassigned_since_ms.load();
    if (since >= 0 && now - since >= grace.count())
      return "no partition assigned for " + std::to_string((now - since) / 1000) + " s";
    return std::nullopt;
  }

  static int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

 private:
  mutable std::mutex mu;
  std::map<uint32_t, int64_t> lag_;  // per partition: records not yet consumed
  bool lag_known_ = false;
};

}  // namespace clickagg::stream
