// clickagg aggregator: a consumer group member that runs one task per assigned partition
// (host/stream/partition_task.h): Kafka -> decode -> engine -> sink (acknowledged) and
// subscribers (PUB), with a write-ahead batch log and periodic checkpoints per partition in a
// state directory that several aggregators may share, so partitions move between them (and
// a killed process resumes) exactly.
//
// Order of work for every micro-batch and partition: log the partition's offset range durably,
// process it, send the results, then one Progress with the partition's cumulative counters and
// lag. Every checkpoint interval: wait until the sink acknowledged everything, write each
// partition's checkpoint (engine state, next offset, last seq), start new batch logs, commit
// the offsets to the consumer group. When the group revokes partitions they are checkpointed
// the same way (or left to their batch logs when the sink is away) and let go.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "host/decode/decode.h"
#include "host/emit/acked_channel.h"
#include "host/emit/curve.h"
#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "host/kafka/kafka_defaults.h"
#include "host/stream/aggregator_probe.h"

namespace clickagg::stream {

struct AggregatorConfig {
  std::string brokers{kafka::kDefaultBrokers};
  std::string topic = "clicks";
  std::string group = "clickagg";
  std::map<std::string, std::string> kafka_options;  // extra librdkafka settings (security, timeouts)
  Format format = Format::Auto;
  std::string state_dir = "aggregator-state";  // shared by every aggregator of the group
  std::string sink_endpoint = "tcp://127.0.0.1:5560";
  std::string pub_endpoint;  // empty: no PUB socket
  // CURVE (emit/curve.h): this aggregator's key pair and the sink's public key for the channel;
  // pub_curve: the PUB socket as a CURVE server under the same pair. Without CURVE, a PUB
  // socket beyond this host needs insecure.
  std::optional<emit::CurveClient> sink_curve;
  std::optional<emit::CurveServer> pub_curve;
  bool insecure = false;
  std::string member_id = "aggregator-1";  // this process in logs and as the Kafka client id
  size_t batch_max = 100'000;
  std::chrono::milliseconds batch_wait{100};
  std::chrono::milliseconds checkpoint_interval{5000};
  std::chrono::milliseconds tick_interval{1000};
  size_t max_in_flight = emit::kDefaultMaxInFlight;  // per partition
  // End of input once every assigned partition is read to its end and nothing came for this
  // long (batch-like runs, tests); 0: never.
  std::chrono::milliseconds finish_when_idle{0};
  // At the end of input, how long to wait for the sink to acknowledge everything before
  // giving up with an error (the batch logs keep what it lacks for the next start).
  std::chrono::milliseconds finish_drain_limit{120'000};
  // No broker answering for this long ends the run with an error (0: wait for ever); a
  // supervisor restarts it and the batch logs lose nothing.
  std::chrono::milliseconds kafka_timeout{kafka::kDefaultTimeout};
  EngineKind engine_kind = EngineKind::Auto;
  EngineConfig engine;
};

// Runs until `stop` becomes true (then checkpoints, leaves the group and returns) or, with
// finish_when_idle, until input ends. Keeps `probe` current when given. Throws on fatal errors.
void run_aggregator(const AggregatorConfig& cfg, const std::atomic<bool>& stop, AggregatorProbe* probe = nullptr);

}  // namespace clickagg::stream
