// The all-in-one job: generated clicks -> engine -> SQLite -> query API and dashboard, in one
// process, on the streaming machinery, so it survives being killed like the aggregator does.
//
// The generator is the input partition: record n is the same record after any restart
// (run_identity.h), so it can be produced again on demand, like a Kafka partition read from
// an offset. It feeds one partition task (stream/partition_task.h): write-ahead batch log,
// engine, checkpoints, sequenced results. The results travel over the acknowledged channel, in
// process, to a sink service (sink/sink_service.h) that commits them to SQLite and
// acknowledges; a checkpoint is written only once everything before it is acknowledged. After
// SIGKILL the next start takes the checkpoint, produces the logged records again, re-executes
// the logged rounds (the same results under the same sequence numbers, which the sink skips
// if it has them) and goes on: nothing lost, nothing counted twice.
//
// Record n is due at first_start + n / rate, so after a stop the stream catches up (at most a
// second's worth per micro-batch) and event time keeps following the wall clock.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "host/emit/curve.h"
#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "host/run/run_identity.h"
#include "host/http/listen_address.h"

namespace clickagg::run {

struct RunConfig {
  RunIdentity identity;
  std::string db;          // SQLite file
  std::string state_dir;   // checkpoint, batch log, run.json
  EngineKind engine_kind = EngineKind::Auto;
  EngineConfig engine;
  http::ListenAddress listen;
  std::string port_file;   // the bound API port is written here when set
  std::chrono::milliseconds batch_interval{200};
  std::chrono::milliseconds checkpoint_interval{2'000};
  std::chrono::milliseconds progress_interval{5'000};  // 0: no progress lines
  std::chrono::milliseconds duration{0};               // 0: until stopped (or count reached)
  std::string pub_endpoint;                            // empty: no PUB socket
  std::optional<emit::CurveServer> pub_curve;
  bool insecure = false;
};

// Runs until `stop` (then checkpoints and returns) or, for a bounded stream, until every
// record was produced, every window closed and everything stored. Throws on a failure it
// cannot retry (the database unreadable, the state damaged).
void run_pipeline(const RunConfig& config, const std::atomic<bool>& stop);

}  // namespace clickagg::run
