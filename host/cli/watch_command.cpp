// clickagg watch: tails application servers' log files and produces every complete line to
// Kafka (idempotent producer, key = ad_id), keeping offsets on disk so a restart resends at
// most one unfinished batch. Runs until SIGINT/SIGTERM.
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/cli/commands.h"
#include "host/cli/settings.h"
#include "host/cli/duration_arg.h"
#include "host/cli/kafka_settings.h"
#include "host/cli/kafka_timeout.h"
#include "host/cli/listen_arg.h"
#include "host/cli/stop_flag.h"
#include "host/common/log.h"
#include "host/common/time_util.h"
#include "host/kafka/kafka_config.h"
#include "host/kafka/kafka_producer.h"
#include "host/http/listen_address.h"
#include "host/watch/kafka_line_sink.h"
#include "host/watch/watch_metrics.h"
#include "host/watch/watcher.h"

namespace clickagg::cli {

namespace {

struct WatchArgs {
  watch::WatchOptions options;
  // Defaults: the settings table's.
  std::string format;
  std::string brokers;
  std::string topic;
  std::string client_id;
  KafkaSettings kafka_settings;
  std::string poll_interval;
  std::string rotate_wait;
  std::string metrics_listen;
  KafkaTimeout kafka_timeout;
};

void run_watch(WatchArgs& a) {
  watch::WatchOptions& o = a.options;
  const auto format = parse_format(a.format);
  if (!format || *format == Format::Binary)
    throw UsageError("bad --format '" + a.format + "' (log, json or auto: watch reads text lines)");
  o.format = *format;
  if (o.glob.empty()) throw UsageError("--glob is empty");
  if (o.state_path.empty()) throw UsageError("--state is empty");
  if (o.dead_letter_path.empty()) o.dead_letter_path = o.state_path + ".dead-letter";
  o.poll_interval = duration_arg("--poll-interval", a.poll_interval);
  o.rotate_wait = duration_arg("--rotate-wait", a.rotate_wait);
  if (!kafka::plausible_brokers(a.brokers)) throw UsageError("bad --brokers '" + a.brokers + "'");
  if (a.topic.empty()) throw UsageError("--topic is empty");
  if (!a.metrics_listen.empty()) listen_arg("--metrics-listen", a.metrics_listen);

  kafka::ProducerOptions po;
  po.brokers = a.brokers;
  po.client_id = a.client_id;
  po.extra = a.kafka_settings.pairs();

  const std::atomic<bool>& stop = install_stop_flag();
  watch::WatchProbe probe;
  std::unique_ptr<watch::WatchMetricsServer> metrics;
  if (!a.metrics_listen.empty()) metrics = std::make_unique<watch::WatchMetricsServer>(a.metrics_listen, probe);
  std::unique_ptr<watch::KafkaLineSink> sink;
  try {
    sink = std::make_unique<watch::KafkaLineSink>(po, a.topic, &stop);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());  // a bad --kafka-config key or value
  }
  // A broker that does not answer at the start is a runtime failure (exit 1) within
  // --kafka-timeout; later outages are waited out (lines are resent, never lost).
  const auto verdict = ask_brokers<std::string>(
      [&](int ms) { return sink->check_topic(std::chrono::milliseconds(ms)); }, a.kafka_timeout.value(), stop,
      a.brokers);
  if (!verdict) return;  // stopped before a broker answered
  if (!verdict->empty()) throw UsageError(*verdict);
  watch::Watcher watcher(o, *sink, &probe);
  watcher.run(stop);
  log::info("watch", "stopped; %llu lines sent, %llu rejected",
            static_cast<unsigned long long>(probe.lines_sent.load()),
            static_cast<unsigned long long>(probe.rejected.load()));
}

}  // namespace

void register_watch(CLI::App& app) {
  auto args = std::make_shared<WatchArgs>();
  auto settings = std::make_shared<CommandSettings>(app, kWatch);
  CommandSettings& s = *settings;
  watch::WatchOptions& o = args->options;
  s.bind("glob", o.glob);
  s.bind("brokers", args->brokers);
  args->kafka_timeout.add_to(s);
  s.bind("topic", args->topic);
  s.bind("state", o.state_path);
  s.bind("format", args->format);
  s.bind("dead-letter", o.dead_letter_path);
  s.bind("batch-size", o.batch_size);
  s.bind("poll-interval", args->poll_interval);
  s.bind("rotate-wait", args->rotate_wait);
  s.bind("metrics-listen", args->metrics_listen);
  s.bind("client-id", args->client_id);
  args->kafka_settings.add_to(s);
  s.on_run([args, settings] { run_watch(*args); });
}

}  // namespace clickagg::cli
