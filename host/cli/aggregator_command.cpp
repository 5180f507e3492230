// clickagg aggregator: the streaming pipeline (Kafka -> engine -> sink and subscribers) with
// checkpoints. Runs until SIGINT/SIGTERM (then checkpoints and exits 0) or, with
// --finish-when-idle, until the input has been quiet that long.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "host/cli/aggregator_metrics.h"
#include "host/cli/commands.h"
#include "host/cli/curve_options.h"
#include "host/cli/duration_arg.h"
#include "host/cli/engine_options.h"
#include "host/cli/kafka_settings.h"
#include "host/cli/kafka_timeout.h"
#include "host/cli/listen_arg.h"
#include "host/cli/stop_flag.h"
#include "host/common/malloc_tuning.h"
#include "host/common/time_util.h"
#include "host/stream/aggregator.h"

namespace clickagg::cli {

namespace {

struct AggregatorArgs {
  stream::AggregatorConfig config;
  std::string format = "auto";
  std::string batch_wait = "100ms";
  std::string checkpoint_interval = "5s";
  std::string finish_when_idle = "0ms";
  std::string finish_timeout = "120s";
  std::string metrics_listen;
  KafkaSettings kafka_settings;
  std::string curve_secret, sink_public;
  bool pub_curve = false;
  std::vector<std::string> pub_allow;
  EngineOptions engine;
  KafkaTimeout kafka_timeout;
  std::string health_grace = "30s";
};

void run_aggregator_command(AggregatorArgs& a) {
  tune_malloc_for_streaming();
  stream::AggregatorConfig& c = a.config;
  const auto format = parse_format(a.format);
  if (!format) throw UsageError("bad --format '" + a.format + "' (log, json, binary or auto)");
  c.format = *format;
  c.batch_wait = duration_arg("--batch-wait", a.batch_wait);
  c.checkpoint_interval = duration_arg("--checkpoint-interval", a.checkpoint_interval);
  c.finish_when_idle = duration_arg("--finish-when-idle", a.finish_when_idle);
  c.finish_drain_limit = duration_arg("--finish-timeout", a.finish_timeout);
  c.kafka_timeout = a.kafka_timeout.value();
  const auto health_grace = duration_arg("--health-grace", a.health_grace);
  if (!a.metrics_listen.empty()) listen_arg("--metrics-listen", a.metrics_listen);
  c.sink_curve = curve_client(a.curve_secret, a.sink_public, "--sink-public");
  c.pub_curve = pub_curve(c.pub_endpoint, a.curve_secret, a.pub_curve, a.pub_allow, c.insecure);
  if (c.batch_max == 0) throw UsageError("--batch-max must be at least 1");
  if (c.max_in_flight == 0) throw UsageError("--max-in-flight must be at least 1");
  if (c.member_id.empty() || c.member_id.size() > 255) throw UsageError("--member-id must be 1 to 255 bytes");
  if (c.group.empty() || c.topic.empty()) throw UsageError("--group and --topic must not be empty");
  for (const auto& [k, v] : a.kafka_settings.pairs()) c.kafka_options[k] = v;
  c.engine = a.engine.config();
  c.engine_kind = a.engine.kind();
  const std::atomic<bool>& stop = install_stop_flag();
  stream::AggregatorProbe probe;
  std::unique_ptr<AggregatorMetricsServer> metrics;
  if (!a.metrics_listen.empty()) {
    metrics = std::make_unique<AggregatorMetricsServer>(a.metrics_listen, probe, health_grace);
  }
  stream::run_aggregator(c, stop, &probe);
}

}  // namespace

void register_aggregator(CLI::App& app) {
  auto args = std::make_shared<AggregatorArgs>();
  stream::AggregatorConfig& c = args->config;
  CLI::App* cmd = app.add_subcommand("aggregator", "Aggregate a Kafka topic continuously; results to the sink");
  cmd->add_option("--brokers", c.brokers, "Kafka bootstrap servers")->capture_default_str();
  cmd->add_option("--metrics-listen", args->metrics_listen, "HOST:PORT for /metrics and /healthz (off when empty)");
  cmd->add_option("--health-grace", args->health_grace,
                  "/healthz answers 503 once no broker answered, or no partition was assigned, for this long")
      ->capture_default_str();
  args->kafka_timeout.add_to(*cmd);
  cmd->add_option("--topic", c.topic, "Kafka topic of click events")->capture_default_str();
  cmd->add_option("--group", c.group, "Kafka consumer group")->capture_default_str();
  cmd->add_option("--format", args->format, "log, json, binary or auto")->capture_default_str();
  cmd->add_option("--state-dir", c.state_dir,
                  "Per-partition checkpoints and batch logs; shared by the group's aggregators")
      ->capture_default_str();
  cmd->add_option("--sink", c.sink_endpoint, "The sink's ZeroMQ endpoint")->capture_default_str();
  cmd->add_option("--pub", c.pub_endpoint, "ZeroMQ endpoint to bind the PUB socket for subscribers");
  cmd->add_option("--curve-secret", args->curve_secret,
                  "This aggregator's CURVE key pair (clickagg keygen): its identity toward the sink, and the PUB "
                  "socket's key with --pub-curve");
  cmd->add_option("--sink-public", args->sink_public, "The sink's CURVE public key file");
  cmd->add_flag("--pub-curve", args->pub_curve, "Serve the PUB socket over CURVE under --curve-secret");
  cmd->add_option("--pub-allow", args->pub_allow,
                  "A subscriber's public key file to admit (repeatable; default: any that knows our public key)");
  cmd->add_flag("--insecure", c.insecure, "Bind the PUB socket beyond this host without CURVE");
  cmd->add_option("--member-id", c.member_id, "Name of this aggregator in logs and as the Kafka client id")
      ->capture_default_str();
  args->kafka_settings.add_to(*cmd);
  cmd->add_option("--batch-max", c.batch_max, "Messages per micro-batch at most")->capture_default_str();
  cmd->add_option("--batch-wait", args->batch_wait, "How long a poll waits to fill a micro-batch")
      ->capture_default_str();
  cmd->add_option("--checkpoint-interval", args->checkpoint_interval, "Time between checkpoints")
      ->capture_default_str();
  cmd->add_option("--max-in-flight", c.max_in_flight, "Results the sink may leave unacknowledged, per partition")
      ->capture_default_str();
  cmd->add_option("--finish-when-idle", args->finish_when_idle,
                  "End of input after this long without messages (0ms: run until stopped)")
      ->capture_default_str();
  cmd->add_option("--finish-timeout", args->finish_timeout,
                  "At the end of input, how long to wait for the sink's acknowledgements before exiting 1")
      ->capture_default_str();
  args->engine.add_to(*cmd);
  cmd->callback([args] { run_aggregator_command(*args); });
}

}  // namespace clickagg::cli
