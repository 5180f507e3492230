// clickagg archive: consumes a Kafka topic and keeps every accepted event, exactly once, in
// Avro files partitioned by event hour (host/archive/archive_writer.h), rejected records in a
// dead-letter file. Runs until SIGINT/SIGTERM (then commits and exits 0) or, with
// --finish-when-idle, until every partition has been read to its end and nothing came for
// that long.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "host/archive/archive_writer.h"
#include "host/cli/commands.h"
#include "host/cli/settings.h"
#include "host/cli/duration_arg.h"
#include "host/cli/engine_options.h"
#include "host/cli/kafka_settings.h"
#include "host/cli/kafka_timeout.h"
#include "host/cli/listen_arg.h"
#include "host/cli/stop_flag.h"
#include "host/common/time_util.h"
#include "host/metrics/metrics_endpoint.h"
#include "host/metrics/metrics_registry.h"
#include "host/stream/kafka_source.h"

namespace clickagg::cli {

namespace {

struct ArchiveArgs {
  archive::ArchiveConfig config;
  // Defaults: the settings table's.
  std::string brokers;
  std::string group;
  std::string format;
  std::string commit_interval;
  std::string finish_when_idle;
  std::string metrics_listen;
  std::string max_future;
  size_t batch_max = 0;
  KafkaTimeout kafka_timeout;
  KafkaSettings kafka_settings;
};

// The archiver's series, read from its probe at scrape time.
void register_archive_metrics(metrics::MetricsRegistry& r, const archive::ArchiveProbe& probe) {
  r.counter_of("clickagg_archive_records_total", "Kafka records handled", probe.records);
  r.counter_of("clickagg_archive_events_total", "Events archived", probe.archived);
  r.counter_of("clickagg_archive_rejected_total", "Records that failed to decode (dead letters)", probe.rejected);
  r.counter_of("clickagg_archive_skipped_total", "Redelivered records already archived", probe.skipped);
  r.counter_of("clickagg_archive_bytes_total", "Avro file bytes made durable", probe.committed_bytes);
  r.counter_of("clickagg_archive_files_total", "Avro files created", probe.files_created);
  r.counter_of("clickagg_archive_commits_total", "Commits of the archive state", probe.commits);
  r.gauge_fn("clickagg_archive_open_files", "Avro files open for writing",
             [&probe] { return static_cast<double>(probe.open_files.load()); });
  r.gauge_fn("clickagg_archive_commit_seconds", "Duration of the last commit",
             [&probe] { return probe.last_commit_seconds.load(); });
}

// Per-partition lag changes with the topic, so it is rendered at scrape time directly.
std::string render_lag(const archive::ArchiveProbe& probe) {
  std::string body = "# HELP clickagg_archive_consumer_lag Records in the partition not yet archived\n"
                     "# TYPE clickagg_archive_consumer_lag gauge\n";
  for (const auto& [part, lag] : probe.lag())
    body += "clickagg_archive_consumer_lag{partition=\"" + std::to_string(part) + "\"} " + std::to_string(lag) + "\n";
  return body;
}

void run_archive_command(ArchiveArgs& a) {
  archive::ArchiveConfig& c = a.config;
  const auto format = parse_format(a.format);
  if (!format) throw UsageError("bad --format '" + a.format + "' (log, json, binary or auto)");
  c.format = *format;
  if (!archive::is_supported_codec(c.codec)) throw UsageError("bad --codec '" + c.codec + "' (deflate, snappy or null)");
  const auto commit_interval = duration_arg("--commit-interval", a.commit_interval);
  const auto finish_when_idle = duration_arg("--finish-when-idle", a.finish_when_idle);
  const std::optional<int64_t> max_future = parse_max_future(a.max_future);
  const std::atomic<bool>& stop = install_stop_flag();

  archive::ArchiveProbe probe;
  metrics::MetricsRegistry registry;
  register_archive_metrics(registry, probe);
  std::unique_ptr<metrics::MetricsEndpoint> metrics;
  if (!a.metrics_listen.empty()) {
    listen_arg("--metrics-listen", a.metrics_listen);  // malformed: bad usage, before binding
    metrics = std::make_unique<metrics::MetricsEndpoint>(a.metrics_listen, registry, [&probe] { return render_lag(probe); });
  }
  archive::ArchiveWriter writer(c, &probe);
  const std::chrono::milliseconds kafka_timeout = a.kafka_timeout.value();
  std::map<std::string, std::string> settings;
  for (const auto& [k, v] : a.kafka_settings.pairs()) settings[k] = v;
  stream::KafkaSource source(a.brokers, c.topic, a.group, settings, kafka_timeout);
  const auto found = ask_brokers<std::vector<uint32_t>>([&](int ms) { return source.partitions(ms); }, kafka_timeout,
                                                       stop, a.brokers);
  if (!found) return;  // stopped before a broker answered
  const std::vector<uint32_t>& partitions = *found;
  // The archive's own state says where to resume, not the group's committed offsets.
  source.assign(partitions, writer.committed_offsets());

  auto commit = [&] {
    writer.commit();
    source.commit(writer.committed_offsets());  // for lag monitoring only
    probe.set_lag(source.lag(partitions, writer.committed_offsets()));
  };
  auto last_commit = std::chrono::steady_clock::now();
  auto last_input = last_commit, last_end_check = last_commit;
  while (!stop.load()) {
    stream::MessageBatch batch = source.poll(a.batch_max, 100);
    const EventTimeBound bound(wall_ms(), max_future);
    for (const stream::KafkaMessage& m : batch.messages()) writer.add(m.partition, m.offset, m.value, bound);
    const auto now = std::chrono::steady_clock::now();
    if (!batch.empty()) last_input = now;
    // End of input: quiet for the idle period AND read up to the end of every partition.
    bool idle_end = false;
    if (finish_when_idle.count() > 0 && now - last_input >= finish_when_idle &&
        now - last_end_check >= std::chrono::seconds(1)) {
      last_end_check = now;
      idle_end = source.caught_up(partitions, writer.next_offsets(), 2000);
    }
    if (idle_end || now - last_commit >= commit_interval) {
      if (writer.next_offsets() != writer.committed_offsets()) commit();
      last_commit = now;
    }
    if (idle_end) break;
  }
  commit();
  std::printf("archive: %llu records, %llu events archived, %llu rejected, %llu files created\n",
              static_cast<unsigned long long>(probe.records.load()),
              static_cast<unsigned long long>(probe.archived.load()),
              static_cast<unsigned long long>(probe.rejected.load()),
              static_cast<unsigned long long>(probe.files_created.load()));
}

}  // namespace

void register_archive(CLI::App& app) {
  auto args = std::make_shared<ArchiveArgs>();
  auto settings = std::make_shared<CommandSettings>(app, kArchive);
  CommandSettings& s = *settings;
  archive::ArchiveConfig& c = args->config;
  s.bind("brokers", args->brokers);
  args->kafka_timeout.add_to(s);
  args->kafka_settings.add_to(s);
  s.bind("topic", c.topic);
  s.bind("group", args->group);
  s.bind("dir", c.dir);
  s.bind("format", args->format);
  s.bind("codec", c.codec);
  s.bind("max-file-bytes", c.max_file_bytes);
  s.bind("commit-interval", args->commit_interval);
  s.bind("batch-max", args->batch_max);
  s.bind("finish-when-idle", args->finish_when_idle);
  s.bind("metrics-listen", args->metrics_listen);
  s.bind("max-future", args->max_future);
  s.on_run([args, settings] { run_archive_command(*args); });
}

}  // namespace clickagg::cli
