#include "host/cli/settings_table.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "host/archive/archive_writer.h"
#include "host/emit/acked_channel.h"
#include "host/engine/engine.h"
#include "host/gen/workload_config.h"
#include "host/kafka/kafka_defaults.h"
#include "host/stream/aggregator.h"
#include "host/watch/watcher.h"

namespace clickagg::cli {

namespace {

using T = SettingType;

// Commands by shared role, so a row names who takes it the way a reader thinks of it.
constexpr uint32_t kEngines = kAggregate | kRun | kAggregator;           // run an engine over a watermark
constexpr uint32_t kRecounts = kReplay | kReconcile;                      // an engine without a watermark
constexpr uint32_t kKafka = kGen | kAggregator | kArchive | kReplay | kWatch;  // talk to Kafka
constexpr uint32_t kAll = kAggregate | kGen | kRun | kServe | kSink | kAggregator | kArchive | kReplay | kReconcile |
                          kWatch | kKeygen;

const std::vector<std::string> kInputFormats{"log", "json", "binary", "auto"};
const std::vector<std::string> kRecordFormats{"log", "json", "binary"};

// Defaults the library's configuration structs declare are read from them, not repeated.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// The largest unit that divides exactly: 100ms, 5s, 10m, 2h; "0" alone.
std::string duration_text(int64_t ms) {
  if (ms == 0) return "0";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1'000 == 0) return std::to_string(ms / 1'000) + "s";
  return std::to_string(ms) + "ms";
}
std::string duration_text(std::chrono::milliseconds d) { return duration_text(d.count()); }

Setting row(std::string name, uint32_t cmds, SettingType type, std::string def, std::string help) {
  Setting s;
  s.name = std::move(name);
  s.commands = cmds;
  s.type = type;
  s.default_text = std::move(def);
  s.help = std::move(help);
  return s;
}

Setting off_allowed(Setting s) {
  s.allows_off = true;
  return s;
}

Setting required(Setting s) {
  s.required = true;
  return s;
}

Setting ranged(Setting s, std::optional<double> min, std::optional<double> max, std::string unit = {}) {
  s.min = min;
  s.max = max;
  s.unit = std::move(unit);
  return s;
}

Setting choice(std::string name, uint32_t cmds, std::string def, std::vector<std::string> choices, std::string help) {
  Setting s = row(std::move(name), cmds, T::Choice, std::move(def), std::move(help));
  s.choices = std::move(choices);
  return s;
}

std::vector<Setting> build() {
  const std::string brokers{kafka::kDefaultBrokers};
  const EngineConfig engine;
  const stream::AggregatorConfig aggregator;
  const gen::GenConfig gen;
  const archive::ArchiveConfig archive;
  const watch::WatchOptions watch;
  std::vector<Setting> t;
  auto add = [&t](Setting s) { t.push_back(std::move(s)); };

  // Every command, given before or after it.
  add(choice("log-format", 0, "text", {"text", "json"},
             "Diagnostics on stderr as text lines or JSON objects, one per line (before or after the command)"));

  // Reading the settings themselves.
  add(row("config", kAll & ~kKeygen, T::Path, "",
          "A TOML file of settings: top-level keys apply to every command that takes them, a [COMMAND] section "
          "to that command only. Flags win over the environment, the environment over the file"));
  // The command line only: an exported variable would silence the service it meant to configure.
  Setting print_config = row("print-config", kAll & ~kKeygen, T::Flag, "",
                             "Print the settings in effect, each with where it came from, as a config file, and exit");
  print_config.from_env = false;
  add(print_config);

  // The engine and its windows.
  add(choice("engine", kEngines | kRecounts, "auto", {"cpu", "gpu", "gpu-portable", "auto"},
             "cpu; gpu (experimental: not yet verified on a GPU); gpu-portable (the GPU engine's device algorithm run "
             "on the CPU, for tests); auto (the CPU engine until the GPU engine has passed its checks on a GPU)"));
  add(ranged(row("threads", kEngines | kRecounts, T::Integer, "0", "CPU engine worker threads (0: all cores)"), 0,
             1024, "threads"));
  add(row("filters", kEngines | kRecounts, T::Path, "",
          "YAML filter file (replay and reconcile: the one the aggregator uses; run: an example table when empty)"));
  add(row("delay", kEngines, T::Duration, duration_text(engine.delay_ms), "Watermark delay: how long a minute waits for out-of-order events"));
  add(row("allowed-lateness", kEngines, T::Duration, duration_text(engine.allowed_lateness_ms),
          "How long a closed minute still accepts late events as corrections"));
  add(ranged(row("top", kEngines | kReplay, T::Integer, num(engine.top_n), "N of the top-N lists"), 1, 100000, "ads"));
  add(row("topn-windows", kEngines | kReplay, T::Text, "1",
          "Top-N window sizes in minutes, comma-separated (each 1..10080)"));
  add(off_allowed(row("max-future", kEngines, T::Duration, "",
          "Reject events dated further than this ahead of processing time ('off': no bound; default 10m; run "
          "leaves it off when its event time runs ahead of the wall clock)")));

  // Kafka.
  add(row("brokers", kAggregator | kArchive, T::Address, brokers, "Kafka bootstrap servers"));
  add(row("brokers", kReplay, T::Address, "", "Kafka bootstrap servers (--source kafka)"));
  add(required(row("brokers", kWatch, T::Address, "", "Kafka bootstrap servers")));
  add(row("kafka", kGen, T::Address, "", "Produce to these Kafka brokers instead of a file (key = ad_id)"));
  add(row("kafka-timeout", kKafka, T::Duration, duration_text(kafka::kDefaultTimeout),
          "Fail when no Kafka broker has answered for this long (0: wait for ever)"));
  Setting kafka_option = row("kafka-option", kKafka, T::List, "",
                             "A librdkafka setting KEY=VALUE, e.g. security.protocol=SASL_SSL (repeatable)");
  kafka_option.alias = "kafka-config";
  add(kafka_option);
  add(row("topic", kAggregator | kWatch, T::Text, aggregator.topic, "Kafka topic of click events"));
  add(row("topic", kGen, T::Text, "clicks", "Kafka topic for --kafka"));
  add(required(row("topic", kArchive, T::Text, "", "Kafka topic of click events")));
  add(row("topic", kReplay, T::Text, "", "Kafka topic, read from its beginning (--source kafka)"));
  add(row("group", kAggregator, T::Text, aggregator.group, "Kafka consumer group"));
  add(row("group", kArchive, T::Text, "clickagg-archive", "Kafka consumer group (offsets committed for monitoring only)"));
  add(row("member-id", kAggregator, T::Text, aggregator.member_id,
          "Name of this aggregator in logs and as the Kafka client id (1 to 255 bytes)"));
  add(row("client-id", kWatch, T::Text, "clickagg-watch", "Kafka client.id"));

  // Record formats.
  add(choice("format", kAggregate | kAggregator | kArchive | kReplay, "auto", kInputFormats,
             "Record format read: log, json, binary, or auto (detected per record)"));
  add(choice("format", kGen, "log", kRecordFormats, "Record format written"));
  add(choice("format", kRun, "log", kRecordFormats, "Record format generated and decoded"));
  add(choice("format", kWatch, "log", {"log", "json", "auto"}, "Line format (auto: per line)"));

  // The streaming aggregator.
  add(row("state-dir", kAggregator, T::Path, aggregator.state_dir,
          "Per-partition checkpoints and batch logs; shared by the group's aggregators"));
  add(row("state-dir", kRun, T::Path, "",
          "Checkpoints, batch log and the generator's settings, kept across restarts (default: DB.state)"));
  add(row("sink", kAggregator, T::Address, aggregator.sink_endpoint, "The sink's ZeroMQ endpoint"));
  add(row("pub", kAggregator | kRun, T::Address, "", "ZeroMQ endpoint to bind a PUB socket for subscribers"));
  add(row("curve-secret", kAggregator | kRun, T::Path, "",
          "This process's CURVE key pair (clickagg keygen): the aggregator's identity toward the sink, and the PUB "
          "socket's key with --pub-curve"));
  add(row("curve-secret", kSink, T::Path, "",
          "The sink's CURVE key pair (clickagg keygen): only admitted aggregators may connect"));
  add(row("sink-public", kAggregator, T::Path, "", "The sink's CURVE public key file"));
  add(row("pub-curve", kAggregator | kRun, T::Flag, "", "Serve the PUB socket over CURVE under --curve-secret"));
  add(row("pub-allow", kAggregator | kRun, T::List, "",
          "A subscriber's public key file to admit (repeatable; default: any that knows our public key)"));
  add(row("curve-allow", kSink, T::List, "", "An aggregator's public key file to admit (repeatable)"));
  add(row("insecure", kAggregator | kRun, T::Flag, "", "Bind the PUB socket beyond this host without CURVE"));
  add(row("insecure", kSink, T::Flag, "", "Listen beyond this host without CURVE: anyone who reaches it may write"));
  add(ranged(row("batch-max", kAggregator, T::Integer, num(aggregator.batch_max), "Messages per micro-batch at most"), 1, {},
             "messages"));
  add(ranged(row("batch-max", kArchive, T::Integer, "10000", "Messages per poll at most"), 1, {}, "messages"));
  add(row("batch-wait", kAggregator, T::Duration, duration_text(aggregator.batch_wait), "How long a poll waits to fill a micro-batch"));
  add(row("checkpoint-interval", kAggregator, T::Duration, duration_text(aggregator.checkpoint_interval), "Time between checkpoints"));
  add(row("checkpoint-interval", kRun, T::Duration, "2s", "Time between checkpoints"));
  add(ranged(row("max-in-flight", kAggregator, T::Integer, num(aggregator.max_in_flight),
                 "Results the sink may leave unacknowledged, per partition"),
             1, {}, "results"));
  add(row("finish-when-idle", kAggregator, T::Duration, duration_text(aggregator.finish_when_idle),
          "End of input after this long without messages (0: run until stopped)"));
  add(row("finish-when-idle", kArchive, T::Duration, "0",
          "Stop once every partition is read to its end and quiet this long (0: run until stopped)"));
  add(row("finish-timeout", kAggregator, T::Duration, duration_text(aggregator.finish_drain_limit),
          "At the end of input, how long to wait for the sink's acknowledgements before exiting 1"));
  add(row("metrics-listen", kAggregator | kSink | kArchive | kWatch, T::Address, "",
          "HOST:PORT for /metrics and /healthz (off when empty)"));
  add(row("health-grace", kAggregator, T::Duration, "30s",
          "/healthz answers 503 once no broker answered, or no partition was assigned, for this long"));

  // The batch command.
  add(required(row("input", kAggregate, T::List, "",
                   "Input file, - for standard input (repeatable; read in order as one stream)")));
  add(required(row("out", kAggregate, T::Path, "", "Output directory")));
  add(ranged(row("batch-size", kAggregate, T::Integer, "1048576", "Events per engine micro-batch"), 1, {}, "events"));
  add(row("now", kAggregate, T::Text, "",
          "Processing time that --max-future counts from (UTC; default: the wall clock at the start)"));
  add(row("progress", kAggregate, T::Flag, "", "Progress lines on stderr (default: only when stderr is a terminal)"));

  // The generator (gen) and the all-in-one job's generated stream (run).
  add(row("seed", kGen, T::Integer, num(gen.seed), "Random seed; the same seed gives the same bytes"));
  add(row("seed", kRun, T::Integer, "", "Generator seed (default: derived from the start time)"));
  add(row("count", kGen, T::Integer, num(gen.count), "Records to write (0: until stopped)"));
  add(row("count", kRun, T::Integer, "0", "Stop after this many records, every window closed (0: unbounded)"));
  add(ranged(row("rate", kGen, T::Number, "0", "Records per wall-clock second (0: as fast as possible)"), 0, 1e9,
             "records/s"));
  add(ranged(row("rate", kRun, T::Number, "20000", "Generated events per wall-clock second"), {}, 1e8, "events/s"));
  add(ranged(row("ads", kGen, T::Integer, num(gen.ads), "Distinct ad ids"), 1, {}, "ads"));
  add(ranged(row("ads", kRun, T::Integer, "10000", "Distinct ad ids"), 1, {}, "ads"));
  add(ranged(row("zipf", kGen | kRun, T::Number, num(gen.zipf), "Zipf exponent of ad popularity (0: uniform)"), 0, {}));
  add(ranged(row("users", kGen, T::Integer, num(gen.users), "Distinct user ids"), 1, {}, "users"));
  add(ranged(row("users", kRun, T::Integer, "100000", "Distinct user ids"), 1, {}, "users"));
  add(row("start", kGen, T::Text, "2021-01-01T00:00:00Z", "Event time of the first record (UTC; now, now-3m, or a time)"));
  add(row("start", kRun, T::Text, "now", "Event time of the first event: now, now-3m, or a UTC time"));
  add(ranged(row("events-per-second", kGen, T::Number, num(gen.events_per_second), "Records per second of event time"), 0, {},
             "events/s"));
  add(ranged(row("events-per-second", kRun, T::Number, "0",
                 "Events per second of event time (0: the same as --rate; lower runs event time faster)"),
             0, {}, "events/s"));
  add(ranged(row("ipv6-fraction", kGen, T::Number, num(gen.ipv6_fraction), "Share of IPv6 addresses"), 0, 1));
  add(ranged(row("click-id-fraction", kGen, T::Number, num(gen.click_id_fraction), "Share of events with a click_id"), 0, 1));
  add(ranged(row("out-of-order", kGen, T::Number, num(gen.out_of_order), "Share moved back 1-14 s (within the delay)"), 0, 1));
  add(ranged(row("out-of-order", kRun, T::Number, "0.01", "Share moved back within the delay"), 0, 1));
  add(ranged(row("late", kGen, T::Number, num(gen.late), "Share moved back into a closed window (20 s-9 min)"), 0, 1));
  add(ranged(row("late", kRun, T::Number, "0.002", "Share moved back into closed windows"), 0, 1));
  add(ranged(row("very-late", kGen, T::Number, num(gen.very_late), "Share moved back past allowed lateness (15-60 min)"), 0, 1));
  add(ranged(row("very-late", kRun, T::Number, "0.0005", "Share moved back past allowed lateness"), 0, 1));
  add(ranged(row("duplicates", kGen, T::Number, num(gen.duplicate), "Share of verbatim repeats of recent records"), 0, 1));
  add(ranged(row("duplicates", kRun, T::Number, "0.002", "Share of repeated events"), 0, 1));
  add(ranged(row("malformed", kGen, T::Number, num(gen.malformed), "Share of corrupt records"), 0, 1));
  add(ranged(row("malformed", kRun, T::Number, "0.0005", "Share of corrupt records"), 0, 1));
  add(row("out", kGen, T::Path, "-", "Output file ('-': standard output)"));

  // The all-in-one job.
  add(row("duration", kRun, T::Duration, "0", "Stop after this long (e.g. 30s, 5m; 0: until stopped)"));
  add(row("batch-interval", kRun, T::Duration, "200ms", "Micro-batch period"));
  add(row("progress-interval", kRun, T::Duration, "5s", "Progress line period (0: none)"));

  // Stores and the query API.
  add(row("db", kRun, T::Text, "clickagg.db", "SQLite database file (reused across runs)"));
  add(row("db", kServe | kSink, T::Text, "clickagg.db", "SQLite file, sqlite:PATH or postgresql:// URI"));
  add(required(row("db", kReplay | kReconcile, T::Text, "", "SQLite file, sqlite:PATH or postgresql:// URI")));
  add(row("listen", kRun | kServe, T::Address, "127.0.0.1:8080", "HOST:PORT of the API (port 0: any free port)"));
  add(row("listen", kSink, T::Address, "tcp://127.0.0.1:5560", "ZeroMQ endpoint to bind for aggregators"));
  add(row("port-file", kRun | kServe, T::Path, "", "Write the bound API port to this file"));
  add(row("filters", kServe, T::Path, "",
          "YAML filter file giving the accepted filter ids (default: the ids the writer recorded in the store)"));
  add(row("filters", kSink, T::Path, "", "YAML filter file whose ids and names are recorded for readers"));
  add(row("create", kServe, T::Flag, "", "Create the SQLite database when it does not exist (else refused)"));
  add(ranged(row("top", kSink, T::Integer, "0",
                 "N the aggregator cuts top-N lists at (lets short stored lists answer queries; 0: unknown)"),
             0, 100000, "ads"));
  add(row("delay-per-commit", kSink, T::Duration, "0", "Sleep before each commit (a slow sink, for tests)"));

  // The archive and what reads it.
  add(required(row("dir", kArchive, T::Path, "",
                   "Archive directory: dt=YYYY-MM-DD/hour=HH/part-*.avro, state, dead letters")));
  add(choice("codec", kArchive, archive.codec, {"deflate", "snappy", "null"}, "Avro block codec"));
  add(ranged(row("max-file-bytes", kArchive, T::Integer, num(static_cast<double>(archive.max_file_bytes)), "Start a new file once one reaches this size"),
             1024, {}, "bytes"));
  add(row("commit-interval", kArchive, T::Duration, "1s", "Time between commits (fsync + state file)"));
  add(off_allowed(row("max-future", kArchive, T::Duration, duration_text(*engine.max_future_ms),
          "Dead-letter events dated further than this ahead of processing time, as the aggregator rejects them "
          "('off': no bound)")));
  add(required(row("from", kReplay, T::Text, "", "First minute (yyyyMMddHHmm or YYYY-MM-DDTHH:MM, UTC)")));
  add(required(row("to", kReplay, T::Text, "", "End minute, exclusive (same forms)")));
  add(choice("source", kReplay, "archive", {"archive", "kafka"}, "Where the raw events come from"));
  add(row("archive-dir", kReplay, T::Path, "", "The raw-event archive (--source archive)"));
  add(required(row("archive-dir", kReconcile, T::Path, "", "The raw-event archive")));
  add(row("chunk", kReplay, T::Duration, "60m", "Minutes recounted and written per transaction (whole minutes)"));
  add(row("chunk", kReconcile, T::Duration, "60m", "Minutes recounted at a time, bounding memory (whole minutes)"));
  add(row("day", kReconcile, T::Text, "", "UTC day, YYYY-MM-DD (this or --hour)"));
  add(row("hour", kReconcile, T::Text, "", "UTC hour, YYYY-MM-DDTHH (this or --day)"));
  add(ranged(row("max-mismatches-shown", kReconcile, T::Integer, "", "Print at most this many mismatches (default: all)"),
             0, {}, "rows"));

  // Tailing log files.
  add(required(row("glob", kWatch, T::Text, "", "Files to tail, a glob pattern such as '/var/log/app/*.log' (quote it)")));
  add(required(row("state", kWatch, T::Path, "", "File that keeps the offsets (written atomically)")));
  add(row("dead-letter", kWatch, T::Path, "", "Rejected lines, one per line (default: STATE.dead-letter)"));
  add(ranged(row("batch-size", kWatch, T::Integer, num(watch.batch_size), "Lines per batch; offsets are saved after each"), 1, {},
             "lines"));
  add(row("poll-interval", kWatch, T::Duration, duration_text(watch.poll_interval), "How often to look for new lines and files"));
  add(row("rotate-wait", kWatch, T::Duration, duration_text(watch.rotate_wait),
          "How long a renamed or removed file must stay unchanged before it is let go"));

  // Keys.
  add(required(row("out", kKeygen, T::Path, "", "Writes OUT.key (secret, owner only) and OUT.pub; never overwrites")));

  // No two rows of one name may share a command: the lookup would be ambiguous.
  for (size_t i = 0; i < t.size(); ++i)
    for (size_t j = i + 1; j < t.size(); ++j)
      if (t[i].name == t[j].name && (t[i].commands & t[j].commands))
        throw std::logic_error("settings table: two rows of --" + t[i].name + " share a command");
  return t;
}

}  // namespace

const std::vector<CommandInfo>& commands() {
  static const std::vector<CommandInfo> list{
      {kAggregate, "aggregate", "Aggregate click files in batch: counts, top-N, summary"},
      {kGen, "gen", "Generate a synthetic, deterministic click workload"},
      {kRun, "run", "Generate clicks, aggregate them, store results in SQLite and serve the API"},
      {kServe, "serve", "Serve the query API, dashboard and /metrics from an aggregate store"},
      {kSink, "sink", "Receive results from aggregators and store them"},
      {kAggregator, "aggregator", "Aggregate a Kafka topic continuously; results to the sink"},
      {kArchive, "archive", "Archive a Kafka topic's events, exactly once, as hourly Avro files"},
      {kReplay, "replay", "Recount minutes [--from, --to) from the raw events and replace them in the store"},
      {kReconcile, "reconcile", "Recount a day or an hour from the raw-event archive and compare with the stored counts"},
      {kWatch, "watch", "Tail log files into a Kafka topic (key = ad_id), surviving crashes"},
      {kKeygen, "keygen", "Make a CURVE key pair for the sink, an aggregator or a subscriber"},
  };
  return list;
}

const CommandInfo& command_info(Command c) {
  for (const CommandInfo& i : commands())
    if (i.id == c) return i;
  throw std::logic_error("unknown command bit");
}

std::string_view type_name(SettingType t) {
  switch (t) {
    case T::Text: return "text";
    case T::Path: return "path";
    case T::Address: return "address";
    case T::Duration: return "duration";
    case T::Integer: return "integer";
    case T::Number: return "number";
    case T::Choice: return "choice";
    case T::Flag: return "flag";
    case T::List: return "list";
  }
  return "text";
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = build();
  return table;
}

const Setting* find_setting(std::string_view name, Command command) {
  for (const Setting& s : settings())
    if (s.name == name && (s.commands & command)) return &s;
  return nullptr;
}

std::string env_name(std::string_view name) {
  std::string out = "CLICKAGG_";
  for (char c : name) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string range_text(const Setting& s) {
  if (!s.choices.empty()) {
    std::string out;
    for (const std::string& c : s.choices) out += (out.empty() ? "" : " | ") + c;
    return out;
  }
  if (s.min && s.max) return num(*s.min) + ".." + num(*s.max);
  if (s.min) return "≥ " + num(*s.min);
  if (s.max) return "≤ " + num(*s.max);
  if (s.type == T::Duration) return s.allows_off ? "duration or off" : "duration";
  return "";
}

const Setting& global_setting(std::string_view name) {
  for (const Setting& s : settings())
    if (s.name == name && s.commands == 0) return s;
  throw std::logic_error("settings table: no global --" + std::string(name));
}

bool takes_config(Command c) { return find_setting("config", c) != nullptr; }

}  // namespace clickagg::cli
