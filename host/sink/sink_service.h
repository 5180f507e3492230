// The sink: a ROUTER socket that aggregators' acknowledged channels connect to, and a loop of
// rounds. A round takes what has arrived (up to max_round_messages or max_round_time),
// applies it in seq order per producer in ONE store transaction that also records each
// producer's committed seq, commits, and only then acknowledges: an ACK always means
// "durable". A HELLO is answered at once with the producer's committed seq.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "host/emit/curve.h"
#include "host/metrics/metrics_registry.h"
#include "host/store/aggregate_store.h"

namespace zmq {
class context_t;
}

namespace clickagg::sink {

struct SinkOptions {
  std::string listen = "tcp://127.0.0.1:5560";
  size_t max_round_messages = 4000;
  std::chrono::milliseconds max_round_time{50};
  std::chrono::milliseconds delay_per_commit{0};  // a deliberately slow sink, for tests
  uint32_t top_n = 0;  // the N the aggregator cuts top-N lists at; 0: unknown
  // Where the sink keeps its metrics (sink_probe.h); null: a registry of its own.
  std::shared_ptr<metrics::MetricsRegistry> metrics = nullptr;
  // CURVE (emit/curve.h): the sink's key pair and the aggregators' public keys it admits. Without
  // it, listening beyond this host needs `insecure`.
  std::optional<emit::CurveServer> curve = std::nullopt;
  bool insecure = false;
};

struct SinkStats {
  uint64_t received = 0;     // MSG frames
  uint64_t applied = 0;      // messages committed
  uint64_t duplicates = 0;   // already committed: skipped and acknowledged
  uint64_t beyond_gap = 0;   // dropped after a missing seq (the producer resends)
  uint64_t malformed = 0;    // not a version-1 envelope
  uint64_t hellos = 0;
  uint64_t commits = 0;
  uint64_t failed_commits = 0;
  std::map<std::string, uint64_t> committed;  // per producer
};

class SinkService {
 public:
  // Binds `opt.listen`; throws std::runtime_error when it cannot.
  SinkService(zmq::context_t& ctx, store::AggregateStore& store, SinkOptions opt);
  ~SinkService();

  // One round: waits up to `wait` for the first message, then commits and acknowledges.
  void run_round(std::chrono::milliseconds wait);
  // Rounds until `stop` is set (the round in progress finishes: commit and acks), calling
  // `report` every `report_every`.
  void run(const std::atomic<bool>& stop, const std::function<void(const SinkStats&)>& report = {},
           std::chrono::milliseconds report_every = std::chrono::seconds(5));
  SinkStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clickagg::sink
