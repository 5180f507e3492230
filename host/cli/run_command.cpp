// clickagg run: the whole pipeline in one process on embedded defaults, for a demo or a
// single node. A generated click stream whose event time follows the wall clock is rendered,
// decoded and aggregated in micro-batches; closed windows go to SQLite, and the query API
// answers from it on 127.0.0.1:8080.
//
// Restarts: on a clean stop the engine state is saved beside the database and restored by
// the next run, so windows still open or retained carry on. Without a saved state (first
// start, or after a crash) the fresh engine knows nothing of minutes an earlier run already
// closed; results touching those minutes are not written, so they cannot replace complete
// stored counts with partial ones.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "host/cli/commands.h"
#include "host/cli/stop_flag.h"
#include "host/cli/engine_options.h"
#include "host/common/malloc_tuning.h"
#include "host/common/time_util.h"
#include "host/decode/decode.h"
#include "host/decode/decode_columns.h"
#include "host/engine/engine.h"
#include "host/gen/generator.h"
#include "host/gen/record_writer.h"
#include "host/gen/time_text.h"
#include "host/serve/http_server.h"
#include "host/serve/listen_address.h"
#include "host/serve/metrics_registry.h"
#include "host/serve/store_probe.h"
#include "host/store/aggregate_store.h"
#include "host/store/store_pool.h"
#include "host/store/store_sink.h"
#include "host/stream/engine_stage_probe.h"
#include "host/stream/file_util.h"

namespace clickagg::cli {

namespace {

using Clock = std::chrono::steady_clock;

// The example filter table used when --filters is not given.
constexpr const char* kDefaultFiltersYaml = R"yaml(
filters:
  - id: 1
    name: us
    country: US
  - id: 2
    name: europe
    country: [GB, DE, FR, NL, ES, IT, SE, PL]
  - id: 3
    name: asia-pacific
    country: [IN, CN, JP, KR, AU, SG, ID]
  - id: 4
    name: ipv6
    ip: [2000::/3]
)yaml";

struct RunArgs {
  EngineOptions engine;
  std::string db = "clickagg.db";
  std::string listen = "127.0.0.1:8080";
  std::string port_file;
  std::string state_file;  // default: DB + ".engine-state"
  std::string start = "now";
  std::string duration = "0";
  std::string batch_interval = "200ms";
  std::string progress_interval = "5s";
  std::string format = "log";
  double rate = 20'000;
  double events_per_second = 0;  // 0: the same as --rate, so event time keeps wall-clock pace
  uint64_t seed = 0;
  bool seed_given = false;
  gen::GenConfig gen;

  RunArgs() {
    gen.count = 0;  // unbounded
    gen.ads = 10'000;
    gen.users = 100'000;
    gen.out_of_order = 0.01;
    gen.late = 0.002;
    gen.very_late = 0.0005;
    gen.duplicate = 0.002;
    gen.malformed = 0.0005;
  }
};

int64_t duration_arg(const std::string& text, const char* option, bool bare_seconds) {
  if (bare_seconds && !text.empty() &&
      text.find_first_not_of("0123456789") == std::string::npos) {
    int64_t s = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), s);
    if (ec == std::errc{} && s <= INT64_MAX / 1000) return s * 1000;
  } else if (auto ms = parse_duration_ms(text)) {
    return *ms;
  }
  throw UsageError(std::string("bad ") + option + " '" + text + "' (expected e.g. 8, 200ms, 5s, 1m)");
}

// "now", "now-3m" (any duration), or a UTC time as the generator's --start takes it.
int64_t start_arg(const std::string& text, int64_t now) {
  if (auto t = gen::parse_start_text(text, now)) return *t;
  throw UsageError("bad --start '" + text + "' (now, now-3m, or e.g. 2021-01-01T00:00:00Z)");
}

Format format_arg(const std::string& name) {
  const auto f = parse_format(name);
  if (!f || *f == Format::Auto) throw UsageError("bad --format '" + name + "' (log, json or binary)");
  return *f;
}

std::string minute_text(int64_t minute) {
  const std::string d = format_minute(minute);  // yyyyMMddHHmm
  return d.substr(0, 4) + '-' + d.substr(4, 2) + '-' + d.substr(6, 2) + ' ' + d.substr(8, 2) +
         ':' + d.substr(10, 2);
}

void write_port_file(const std::string& path, uint16_t port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << '\n';
    if (!out.flush()) throw UsageError("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);  // readers never see a half-written file
}

// Beside the database file; in the working directory for a server database.
std::string default_state_file(const std::string& db) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (db.find("://") != std::string::npos) return "clickagg-run.engine-state";
  return (db.starts_with(kSqlite) ? db.substr(kSqlite.size()) : db) + ".engine-state";
}

// Keeps a fresh engine from writing over minutes an earlier run closed: a result for such a
// minute would hold only this run's share of it. Everything else passes through.
class ClosedMinuteGuard final : public ResultSink {
 public:
  ClosedMinuteGuard(ResultSink& next, std::optional<int64_t> floor) : next_(next), floor_(floor) {}

  void on_window(const WindowResult& w) override {
    if (floor_ && w.minute <= *floor_) {
      ++skipped_;
      return;
    }
    next_.on_window(w);
  }
  void on_topn(const TopNList& t) override {
    // A list over several minutes needs every one of them from the same engine.
    if (floor_ && t.minute - static_cast<int64_t>(t.window) + 1 <= *floor_) {
      ++skipped_;
      return;
    }
    next_.on_topn(t);
  }
  void on_late(const LateRecord& r) override { next_.on_late(r); }
  uint64_t skipped() const { return skipped_; }

 private:
  ResultSink& next_;
  std::optional<int64_t> floor_;
  uint64_t skipped_ = 0;
};

// Counters of this stage for /metrics; the main loop updates them, scrapes only read.
struct RunProbe {
  explicit RunProbe(serve::MetricsRegistry& m)
      : records(m.counter("clickagg_run_records_total", "Records generated and decoded.")),
        rejected(m.counter("clickagg_run_rejected_total", "Generated records the decoder refused.")),
        flush_failures(m.counter("clickagg_run_store_flush_failures_total",
                                 "Store writes that failed and will be retried.")),
        watermark(m.gauge("clickagg_run_watermark_seconds", "Engine watermark (Unix time).")),
        batch_seconds(m.histogram("clickagg_run_batch_duration_seconds",
                                  "Time to generate, decode, aggregate and store one micro-batch.",
                                  serve::latency_buckets_seconds())),
        engine_stages(m) {}
  serve::Counter& records;
  serve::Counter& rejected;
  serve::Counter& flush_failures;
  serve::Gauge& watermark;
  serve::Histogram& batch_seconds;
  stream::EngineStageProbe engine_stages;  // GPU copy and kernel times
};

class RunPipeline {
 public:
  explicit RunPipeline(RunArgs& a) : args_(a) {}

  void run() {
    configure();
    stop_ = &install_stop_flag();
    open_store_and_engine();
    start_server();
    loop();
    shut_down();
  }

 private:
  void configure() {
    config_ = args_.engine.config();
    if (args_.engine.filters_path.empty()) {
#if defined(CLICKAGG_HAVE_YAML)
      config_.filters = parse_filters_yaml(kDefaultFiltersYaml);
#endif
    }
    kind_ = args_.engine.kind();
    format_ = format_arg(args_.format);
    try {
      listen_ = serve::parse_listen_address(args_.listen);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    if (!(args_.rate > 0) || args_.rate > 1e8) throw UsageError("--rate must be in (0, 1e8]");
    if (args_.events_per_second < 0) throw UsageError("--events-per-second must not be negative");
    duration_ms_ = duration_arg(args_.duration, "--duration", true);
    batch_ms_ = std::max<int64_t>(1, duration_arg(args_.batch_interval, "--batch-interval", false));
    progress_ms_ = duration_arg(args_.progress_interval, "--progress-interval", false);
    if (args_.state_file.empty()) args_.state_file = default_state_file(args_.db);

    const int64_t now = wall_ms();
    gen::GenConfig& g = args_.gen;
    g.count = 0;
    g.start_ms = start_arg(args_.start, now);
    g.events_per_second = args_.events_per_second > 0 ? args_.events_per_second : args_.rate;
    // Event time that runs ahead of the wall clock on purpose (fewer events per second of event
    // time than per second of wall time) would soon be rejected by the bound on event time:
    // the generator is this job's own input, so the bound is left out unless asked for.
    if (args_.engine.max_future.empty() && g.events_per_second < args_.rate) {
      config_.max_future_ms = std::nullopt;
      std::fprintf(stderr, "run: event time runs %.0fx the wall clock; no bound on event time (--max-future)\n",
                   args_.rate / g.events_per_second);
    }
    // A new seed per start: event keys (click ids, user/ip tuples) differ from earlier runs.
    g.seed = args_.seed_given ? args_.seed : static_cast<uint64_t>(now);
    if (const std::string why = gen::validate(g); !why.empty()) throw UsageError(why);
  }

  void open_store_and_engine() {
    writer_ = store::open_store(args_.db, store::OpenMode::Writer);
    std::vector<store::FilterInfo> filters;
    for (const FilterDef& f : config_.filters.defs()) filters.push_back({f.id, f.name});
    writer_->set_filters(filters);
    base_ = writer_->progress();

    engine_ = new_engine();
    const bool restored = restore_engine();
    stats0_ = engine_->stats();
    sink_ = std::make_unique<store::StoreSink>(*writer_, config_.top_n);
    guard_ = std::make_unique<ClosedMinuteGuard>(
        *sink_, restored ? std::nullopt : base_.last_closed_minute);
    position_ = base_.events + base_.rejected;  // unique input positions across runs
    gen_ = std::make_unique<gen::Generator>(args_.gen);
  }

  // "auto" means the best engine that works here: a GPU engine that cannot start on this
  // machine falls back to the CPU engine instead of failing the run.
  std::unique_ptr<Engine> new_engine() const {
    if (kind_ != EngineKind::Auto) return make_engine(kind_, config_);
    try {
      return make_engine(kind_, config_);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "clickagg run: GPU engine unavailable (%s); using the CPU engine\n", e.what());
      return make_cpu_engine(config_);
    }
  }

  // Loads the state a clean stop saved; the file is removed once read, so a later crash
  // never brings back a state older than the database.
  bool restore_engine() {
    std::string bytes;
    try {
      if (!stream::read_file(args_.state_file, bytes)) return false;
      std::istringstream in(bytes);
      engine_->restore_state(in);
      std::filesystem::remove(args_.state_file);
      std::fprintf(stderr, "clickagg run: resumed engine state from %s\n", args_.state_file.c_str());
      return true;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "clickagg run: not resuming from %s: %s\n", args_.state_file.c_str(),
                   e.what());
      std::error_code ec;
      std::filesystem::remove(args_.state_file, ec);
      engine_ = new_engine();  // a failed restore may leave partial state
      return false;
    }
  }

  void start_server() {
    auto db = args_.db;
    pool_ = std::make_shared<store::StorePool>(
        [db] { return store::open_store(db, store::OpenMode::Reader); });
    metrics_ = std::make_shared<serve::MetricsRegistry>();
    probe_ = std::make_unique<RunProbe>(*metrics_);
    serve::register_store_metrics(*metrics_, pool_);
    serve::ServerOptions opts;
    opts.host = listen_.host;
    opts.port = listen_.port;
    for (const FilterDef& f : config_.filters.defs()) opts.filter_ids.insert(f.id);
    opts.metrics = metrics_;
    server_ = std::make_unique<serve::HttpServer>(opts, pool_);
    const uint16_t port = server_->start();
    if (!args_.port_file.empty()) write_port_file(args_.port_file, port);
    std::fprintf(stderr,
                 "clickagg run: engine %s, %.0f events/s, database %s, API http://%s:%u/\n",
                 std::string(engine_->name()).c_str(), args_.rate, args_.db.c_str(),
                 listen_.host.c_str(), port);
  }

  void loop() {
    const Clock::time_point t0 = Clock::now();
    Clock::time_point next_progress = t0 + std::chrono::milliseconds(progress_ms_);
    uint64_t records_at_progress = 0;
    Clock::time_point progress_from = t0;
    // At most a second's worth per batch, so a stall is caught up gradually.
    const auto max_batch = static_cast<uint64_t>(std::max(1.0, args_.rate));
    for (uint64_t tick = 1;; ++tick) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
      const auto due = static_cast<uint64_t>(elapsed * args_.rate);
      const uint64_t n = std::min(due - std::min(due, gen_->produced()), max_batch);
      process_batch(n);

      const Clock::time_point now = Clock::now();
      if (progress_ms_ > 0 && now >= next_progress) {
        const double secs = std::chrono::duration<double>(now - progress_from).count();
        const double rate = static_cast<double>(records_ - records_at_progress) / std::max(secs, 1e-9);
        print_progress(std::to_string(std::llround(rate)) + " events/s");
        records_at_progress = records_;
        progress_from = now;
        next_progress = now + std::chrono::milliseconds(progress_ms_);
      }
      if (duration_ms_ > 0 && now - t0 >= std::chrono::milliseconds(duration_ms_)) return;
      if (!sleep_until(t0 + std::chrono::milliseconds(batch_ms_ * static_cast<int64_t>(tick))))
        return;
    }
  }

  // Sleeps in short steps so a stop request is seen quickly; false when one came.
  bool sleep_until(Clock::time_point wake) const {
    while (!stop_->load()) {
      const auto now = Clock::now();
      if (now >= wake) return true;
      std::this_thread::sleep_for(std::min<Clock::duration>(wake - now, std::chrono::milliseconds(20)));
    }
    return false;
  }

  // Generate what is due, decode it, aggregate, and store what closed: one transaction.
  void process_batch(uint64_t n) {
    const Clock::time_point started = Clock::now();
    buffer_.clear();
    events_.clear();
    gen::write_records(*gen_, format_, n, buffer_);
    RecordSplitter split(buffer_, format_);
    uint64_t batch_records = 0;
    const int64_t now = wall_ms();
    const EventTimeBound bound(now, config_.max_future_ms);
    for (RecordRef rec; split.next(rec);) {
      const uint64_t position = position_++;
      ++batch_records;
      DecodeStatus why = rec.framing_error;
      if (!why) why = decode_into(format_, rec.bytes, position, events_, arena_, bound);
      if (why) {
        ++rejected_;
        probe_->rejected.inc();
        sink_->add_reject(store::RejectEntry{0, position, why, std::string(rec.bytes)});
      }
    }
    records_ += batch_records;
    probe_->records.inc(batch_records);
    decoded_ += events_.size();
    if (!events_.empty()) engine_->process(0, events_, now, *guard_);
    engine_->tick(now, *guard_);  // windows close even when nothing arrived
    flush(/*final=*/false);
    probe_->batch_seconds.observe(std::chrono::duration<double>(Clock::now() - started).count());
    probe_->engine_stages.publish(*engine_);
  }

  store::Progress progress() const {
    const EngineStats s = engine_->stats();
    store::Progress p = base_;
    p.events = base_.events + decoded_;
    p.rejected = base_.rejected + rejected_;
    p.counted += s.counted - stats0_.counted;
    p.late_counted += s.late_counted - stats0_.late_counted;
    p.duplicates += s.duplicates - stats0_.duplicates;
    p.dropped_late += s.dropped_late - stats0_.dropped_late;
    p.windows_closed += s.windows_closed - stats0_.windows_closed;
    p.corrections += s.corrections - stats0_.corrections;
    // Window m is closed once the watermark reaches its end, (m + 1) minutes.
    if (s.watermark_ms != INT64_MIN) {
      const int64_t closed = minute_of(s.watermark_ms) - 1;
      p.last_closed_minute = p.last_closed_minute ? std::max(*p.last_closed_minute, closed) : closed;
    }
    return p;
  }

  void flush(bool final) {
    if (const int64_t wm = engine_->stats().watermark_ms; wm != INT64_MIN)
      probe_->watermark.set(static_cast<double>(wm) / 1000.0);
    sink_->set_progress(progress());
    try {
      sink_->flush();
    } catch (const store::StoreError& e) {
      probe_->flush_failures.inc();
      if (final) throw;
      // The sink keeps the batch; the next micro-batch retries it.
      std::fprintf(stderr, "clickagg run: store write failed, will retry: %s\n", e.what());
    }
  }

  // `what`: "5000 events/s" while running, the totals at the end.
  void print_progress(const std::string& what) const {
    const store::Progress p = progress();
    const std::string closed = p.last_closed_minute ? minute_text(*p.last_closed_minute) : "none";
    std::fprintf(stderr,
                 "clickagg run: %s, last closed %s, late %llu (dropped %llu), "
                 "duplicates %llu, rejected %llu\n",
                 what.c_str(), closed.c_str(), static_cast<unsigned long long>(p.late_counted),
                 static_cast<unsigned long long>(p.dropped_late),
                 static_cast<unsigned long long>(p.duplicates),
                 static_cast<unsigned long long>(p.rejected));
  }

  void shut_down() {
    // Close what the watermark allows now, write everything, then keep the open windows for
    // the next run.
    engine_->tick(wall_ms(), *guard_);
    flush(/*final=*/true);
    try {
      std::ostringstream out;
      engine_->save_state(out);
      stream::write_file_atomic(args_.state_file, out.str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "clickagg run: engine state not saved (%s); a restart begins fresh\n",
                   e.what());
    }
    print_progress("stopping after " + std::to_string(records_) + " events");
    sink_.reset();
    writer_.reset();
    server_->stop();
    if (guard_->skipped() > 0)
      std::fprintf(stderr,
                   "clickagg run: %llu results for minutes an earlier run had closed were not "
                   "written\n",
                   static_cast<unsigned long long>(guard_->skipped()));
    std::fprintf(stderr, "clickagg run: stopped\n");
  }

  RunArgs& args_;
  const std::atomic<bool>* stop_ = nullptr;
  EngineConfig config_;
  EngineKind kind_ = EngineKind::Auto;
  Format format_ = Format::Log;
  serve::ListenAddress listen_;
  int64_t duration_ms_ = 0, batch_ms_ = 200, progress_ms_ = 5000;

  std::unique_ptr<store::AggregateStore> writer_;
  store::Progress base_;  // what earlier runs recorded
  std::unique_ptr<Engine> engine_;
  EngineStats stats0_;    // engine counters at the start of this run
  std::unique_ptr<store::StoreSink> sink_;
  std::unique_ptr<ClosedMinuteGuard> guard_;
  std::unique_ptr<gen::Generator> gen_;

  std::shared_ptr<store::StorePool> pool_;
  std::shared_ptr<serve::MetricsRegistry> metrics_;
  std::unique_ptr<RunProbe> probe_;
  std::unique_ptr<serve::HttpServer> server_;

  std::string buffer_;
  EventColumns events_;
  Arena arena_;
  uint64_t position_ = 0;
  uint64_t records_ = 0, decoded_ = 0, rejected_ = 0;
};

}  // namespace

void register_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Generate clicks, aggregate them, store results in SQLite and serve the API");
  args->engine.add_to(*cmd);
  cmd->add_option("--db", args->db, "SQLite database file (reused across runs)")->capture_default_str();
  cmd->add_option("--listen", args->listen, "HOST:PORT of the API (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--port-file", args->port_file, "Write the bound API port to this file");
  cmd->add_option("--state-file", args->state_file,
                  "Engine state kept across restarts (default: DB.engine-state)");
  cmd->add_option("--rate", args->rate, "Generated events per wall-clock second")->capture_default_str();
  cmd->add_option("--events-per-second", args->events_per_second,
                  "Events per second of event time (default: --rate; lower runs event time faster)");
  cmd->add_option("--start", args->start, "Event time of the first event: now, now-3m, or a UTC time")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Generator seed (default: derived from the start time)")
      ->each([args](const std::string&) { args->seed_given = true; });
  cmd->add_option("--duration", args->duration, "Stop after this long (seconds, or 30s, 5m; 0: until stopped)")
      ->capture_default_str();
  cmd->add_option("--batch-interval", args->batch_interval, "Micro-batch period")->capture_default_str();
  cmd->add_option("--progress-interval", args->progress_interval, "Progress line period (0: none)")
      ->capture_default_str();
  cmd->add_option("--format", args->format, "Record format generated and decoded: log, json, binary")
      ->capture_default_str();
  gen::GenConfig& g = args->gen;
  cmd->add_option("--ads", g.ads, "Distinct ad ids")->capture_default_str();
  cmd->add_option("--zipf", g.zipf, "Zipf exponent of ad popularity (0: uniform)")->capture_default_str();
  cmd->add_option("--users", g.users, "Distinct user ids")->capture_default_str();
  cmd->add_option("--out-of-order", g.out_of_order, "Share moved back within the delay")->capture_default_str();
  cmd->add_option("--late", g.late, "Share moved back into closed windows")->capture_default_str();
  cmd->add_option("--very-late", g.very_late, "Share moved back past allowed lateness")->capture_default_str();
  cmd->add_option("--duplicates", g.duplicate, "Share of repeated events")->capture_default_str();
  cmd->add_option("--malformed", g.malformed, "Share of corrupt records")->capture_default_str();
  cmd->callback([args] {
    tune_malloc_for_streaming();
    RunPipeline(*args).run();
  });
}

}  // namespace clickagg::cli
