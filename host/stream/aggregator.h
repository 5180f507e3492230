// clickagg aggregator: Kafka -> decode -> engine -> sink (acknowledged) and subscribers (PUB),
// with a write-ahead batch log and periodic checkpoints so a killed process resumes exactly.
//
// Order of work for every micro-batch: poll Kafka, log the batch's offset ranges durably,
// process them, send results, then one Progress with the cumulative counters (engine
// statistics and rejects, which the checkpoint carries across restarts) and the consumer lag. Every checkpoint interval: wait until the sink acknowledged
// everything, write the checkpoint (engine state, next offsets, last seq), start a new batch
// log, commit the offsets to the consumer group.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "host/decode/decode.h"
#include "host/engine/engine.h"
#include "host/stream/aggregator_probe.h"

namespace clickagg::stream {

struct AggregatorConfig {
  std::string brokers = "127.0.0.1:9092";
  std::string topic = "clicks";
  std::string group = "clickagg";
  Format format = Format::Auto;
  std::string state_dir = "aggregator-state";
  std::string sink_endpoint = "tcp://127.0.0.1:5560";
  std::string pub_endpoint;  // empty: no PUB socket
  std::string producer_id = "aggregator-1";
  size_t batch_max = 100'000;
  std::chrono::milliseconds batch_wait{100};
  std::chrono::milliseconds checkpoint_interval{5000};
  std::chrono::milliseconds tick_interval{1000};
  size_t max_in_flight = 10'000;
  // End of input once every partition is read to its end and nothing came for this long
  // (batch-like runs, tests); 0: never.
  std::chrono::milliseconds finish_when_idle{0};
  EngineKind engine_kind = EngineKind::Auto;
  EngineConfig engine;
};

// Runs until `stop` becomes true (then checkpoints and returns) or, with finish_when_idle,
// until input ends. Keeps `probe` current when given. Throws on fatal errors.
void run_aggregator(const AggregatorConfig& cfg, const std::atomic<bool>& stop, AggregatorProbe* probe = nullptr);

}  // namespace clickagg::stream
