// clickagg replay: recalculates a range of minutes from the raw events (the archive, or the
// Kafka topic from its beginning) through an engine of its own and replaces what the store
// holds for exactly those minutes: counts and the top-N lists ranked over them. Idempotent;
// a live aggregator and sink keep running meanwhile (see host/ops/replay.h).
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "host/cli/commands.h"
#include "host/cli/settings.h"
#include "host/cli/duration_arg.h"
#include "host/cli/engine_options.h"
#include "host/cli/kafka_settings.h"
#include "host/cli/kafka_timeout.h"
#include "host/common/log.h"
#include "host/common/time_util.h"
#include "host/engines/engines.h"
#include "host/ops/archive_source.h"
#include "host/ops/filter_check.h"
#include "host/ops/kafka_topic_source.h"
#include "host/ops/replay.h"
#include "host/ops/time_range.h"

namespace clickagg::cli {

namespace {

struct ReplayArgs {
  std::string from, to;
  std::string db;
  std::string source;  // defaults: the settings table's
  std::string archive_dir;
  std::string brokers, topic, format;
  KafkaTimeout kafka_timeout;
  KafkaSettings kafka_settings;
  std::string chunk;
  EngineOptions engine;
};

ops::MinuteRange range_of(const ReplayArgs& a) {
  const auto from = ops::parse_minute_boundary(a.from);
  if (!from) throw UsageError("bad --from '" + a.from + "' (yyyyMMddHHmm or YYYY-MM-DDTHH:MM, UTC)");
  const auto to = ops::parse_minute_boundary(a.to);
  if (!to) throw UsageError("bad --to '" + a.to + "' (yyyyMMddHHmm or YYYY-MM-DDTHH:MM, UTC)");
  if (*to <= *from) throw UsageError("--to must be after --from");
  return {*from, *to};
}

int64_t chunk_minutes(const std::string& text) {
  const int64_t ms = duration_arg("--chunk", text).count();
  if (ms < kMsPerMinute || ms % kMsPerMinute != 0) throw UsageError("bad --chunk '" + text + "' (whole minutes, e.g. 60m)");
  return ms / kMsPerMinute;
}

std::unique_ptr<ops::EventSource> source_of(const ReplayArgs& a) {
  if (a.source == "archive") {
    if (a.archive_dir.empty()) throw UsageError("--source archive needs --archive-dir");
    if (!std::filesystem::is_directory(a.archive_dir)) throw UsageError("no archive at " + a.archive_dir);
    return std::make_unique<ops::ArchiveSource>(a.archive_dir);
  }
  if (a.source == "kafka") {
    if (a.brokers.empty() || a.topic.empty()) throw UsageError("--source kafka needs --brokers and --topic");
    const auto format = parse_format(a.format);
    if (!format) throw UsageError("bad --format '" + a.format + "' (log, json, binary or auto)");
    ops::KafkaTopicSourceConfig kc;
    kc.brokers = a.brokers;
    kc.stall_timeout_ms = a.kafka_timeout.librdkafka_ms();
    kc.settings = a.kafka_settings.pairs();
    kc.topic = a.topic;
    kc.format = *format;
    return std::make_unique<ops::KafkaTopicSource>(kc);
  }
  throw UsageError("bad --source '" + a.source + "' (archive or kafka)");
}

void run_replay(const ReplayArgs& a) {
  ops::ReplayOptions opt;
  opt.range = range_of(a);
  opt.chunk_minutes = chunk_minutes(a.chunk);
  const EngineConfig ec = a.engine.config();
  opt.top_n = ec.top_n;
  opt.topn_windows = ec.topn_windows;
  opt.recount.filters = ec.filters;
  opt.recount.engine = a.engine.kind();
  opt.recount.threads = ec.threads;
  std::unique_ptr<ops::EventSource> source = source_of(a);
  if (opt.recount.engine == EngineKind::Gpu) {
    std::string why;
    if (!gpu_available(&why)) throw std::runtime_error("--engine gpu: no usable GPU (" + why + ")");
  }

  auto db = store::open_store(a.db, store::OpenMode::Writer);
  if (const std::string bad = ops::filter_table_mismatch(opt.recount.filters, db->filters()); !bad.empty())
    throw UsageError(bad);
  // Minutes the live path has not closed yet it will write again when they close.
  const auto closed = db->progress().last_closed_minute;
  if (!closed)
    log::warn("replay", "no minute is closed in the store yet; a live aggregator writes the "
              "replayed minutes again when it closes them");
  else if (*closed < opt.range.to_minute - 1)
    log::warn("replay", "the minutes after %s are not closed in the store yet; a live "
              "aggregator writes them again when it closes them", format_minute(*closed).c_str());

  std::printf("replay %s from %s\n", ops::describe(opt.range).c_str(),
              a.source == "archive" ? a.archive_dir.c_str() : ("kafka topic " + a.topic).c_str());
  const ops::ReplayReport r = ops::replay(*source, *db, opt, [](const ops::ReplayChunk& c) {
    std::printf("replayed %s: %" PRIu64 " events, %" PRIu64 " duplicates, %" PRIu64 " minutes with counts, %" PRIu64
                " rows, %" PRIu64 " top-N lists\n",
                ops::describe(c.range).c_str(), c.recount.events, c.recount.duplicates, c.minutes_with_counts, c.rows,
                c.lists);
    std::fflush(stdout);
  });
  std::printf("done: %" PRIu64 " minutes in %" PRIu64 " transactions, %" PRIu64 " events counted, %" PRIu64
              " rows, %" PRIu64 " top-N lists written\n",
              r.minutes, r.chunks, r.recount.counted, r.rows, r.lists);
  if (const auto* kafka = dynamic_cast<const ops::KafkaTopicSource*>(source.get()); kafka && kafka->rejected() > 0)
    std::printf("%" PRIu64 " records of the topic could not be decoded (the aggregators reject them too)\n",
                kafka->rejected());
}

}  // namespace

void register_replay(CLI::App& app) {
  auto args = std::make_shared<ReplayArgs>();
  auto settings = std::make_shared<CommandSettings>(app, kReplay);
  CommandSettings& s = *settings;
  s.bind("from", args->from);
  s.bind("to", args->to);
  s.bind("db", args->db);
  s.bind("source", args->source);
  s.bind("archive-dir", args->archive_dir);
  s.bind("brokers", args->brokers);
  args->kafka_timeout.add_to(s);
  args->kafka_settings.add_to(s);
  s.bind("topic", args->topic);
  s.bind("format", args->format);
  s.bind("chunk", args->chunk);
  // The recount's own engine: no watermark, so the table gives replay no --delay or
  // --allowed-lateness.
  args->engine.add_to(s);
  s.on_run([args, settings] { run_replay(*args); });
}

}  // namespace clickagg::cli
