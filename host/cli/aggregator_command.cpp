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
#include "host/cli/settings.h"
#include "host/cli/stop_flag.h"
#include "host/common/malloc_tuning.h"
#include "host/common/time_util.h"
#include "host/stream/aggregator.h"

namespace clickagg::cli {

namespace {

struct AggregatorArgs {
  stream::AggregatorConfig config;
  // Defaults: the settings table's.
  std::string format;
  std::string batch_wait;
  std::string checkpoint_interval;
  std::string finish_when_idle;
  std::string finish_timeout;
  std::string metrics_listen;
  KafkaSettings kafka_settings;
  std::string curve_secret, sink_public;
  bool pub_curve = false;
  std::vector<std::string> pub_allow;
  EngineOptions engine;
  KafkaTimeout kafka_timeout;
  std::string health_grace;
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
  auto settings = std::make_shared<CommandSettings>(app, kAggregator);
  CommandSettings& s = *settings;
  stream::AggregatorConfig& c = args->config;
  s.bind("brokers", c.brokers);
  s.bind("metrics-listen", args->metrics_listen);
  s.bind("health-grace", args->health_grace);
  args->kafka_timeout.add_to(s);
  s.bind("topic", c.topic);
  s.bind("group", c.group);
  s.bind("format", args->format);
  s.bind("state-dir", c.state_dir);
  s.bind("sink", c.sink_endpoint);
  s.bind("pub", c.pub_endpoint);
  s.bind("curve-secret", args->curve_secret);
  s.bind("sink-public", args->sink_public);
  s.bind("pub-curve", args->pub_curve);
  s.bind("pub-allow", args->pub_allow);
  s.bind("insecure", c.insecure);
  s.bind("member-id", c.member_id);
  args->kafka_settings.add_to(s);
  s.bind("batch-max", c.batch_max);
  s.bind("batch-wait", args->batch_wait);
  s.bind("checkpoint-interval", args->checkpoint_interval);
  s.bind("max-in-flight", c.max_in_flight);
  s.bind("finish-when-idle", args->finish_when_idle);
  s.bind("finish-timeout", args->finish_timeout);
  args->engine.add_to(s);
  s.on_run([args, settings] { run_aggregator_command(*args); });
}

}  // namespace clickagg::cli
