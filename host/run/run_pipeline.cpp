#include "host/run/run_pipeline.h"

#include <zmq.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "host/common/log.h"
#include "host/common/time_util.h"
#include "host/emit/publisher.h"
#include "host/gen/generator.h"
#include "host/gen/record_writer.h"
#include "host/serve/http_server.h"
#include "host/metrics/metrics_registry.h"
#include "host/serve/store_probe.h"
#include "host/sink/sink_service.h"
#include "host/store/aggregate_store.h"
#include "host/store/store_pool.h"
#include "host/stream/engine_stage_probe.h"
#include "host/stream/partition_task.h"

namespace clickagg::run {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kSinkEndpoint = "inproc://clickagg-run-sink";
constexpr uint32_t kPartition = 0;

// Counters of this process for /metrics; the loop updates them, scrapes only read.
struct RunProbe {
  explicit RunProbe(metrics::MetricsRegistry& m)
      : records(m.counter("clickagg_run_records_total", "Records generated and handed to the engine.")),
        watermark(m.gauge("clickagg_run_watermark_seconds", "Engine watermark (Unix time).")),
        batch_seconds(m.histogram("clickagg_run_batch_duration_seconds",
                                  "Time to generate, decode and aggregate one micro-batch.",
                                  metrics::latency_buckets_seconds())),
        engine_stages(m) {}
  metrics::Counter& records;
  metrics::Gauge& watermark;
  metrics::Histogram& batch_seconds;
  stream::EngineStageProbe engine_stages;  // GPU copy and kernel times
};

void write_port_file(const std::string& path, uint16_t port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);  // readers never see a half-written file
}

class Pipeline {
 public:
  Pipeline(const RunConfig& c, const std::atomic<bool>& stop) : cfg_(c), id_(c.identity), stop_(stop) {}
  ~Pipeline() {
    // After a failure: the task's channel goes before the sink it talks to.
    task_.reset();
    sink_stop_ = true;
    if (sink_thread_.joinable()) sink_thread_.join();
  }

  void run() {
    std::filesystem::create_directories(cfg_.state_dir);
    start_sink();
    start_server();
    start_task();
    loop();
    finish();
  }

 private:
  // The records due by now: record n at first_start + n / rate.
  uint64_t due(int64_t now_ms) const {
    const double secs = static_cast<double>(now_ms - id_.first_start_ms) / 1000.0;
    const auto n = secs <= 0 ? uint64_t{0} : static_cast<uint64_t>(secs * id_.rate);
    return id_.gen.count != 0 ? std::min(n, id_.gen.count) : n;
  }

  void start_sink() {
    metrics_ = std::make_shared<metrics::MetricsRegistry>();
    probe_ = std::make_unique<RunProbe>(*metrics_);
    writer_ = store::open_store(cfg_.db, store::OpenMode::Writer);
    std::vector<store::FilterInfo> filters;
    for (const FilterDef& f : cfg_.engine.filters.defs()) filters.push_back({f.id, f.name});
    writer_->set_filters(filters);
    sink::SinkOptions opt;
    opt.listen = kSinkEndpoint;
    opt.top_n = cfg_.engine.top_n;
    opt.metrics = metrics_;
    sink_ = std::make_unique<sink::SinkService>(ctx_, *writer_, opt);
    sink_thread_ = std::thread([this] {
      try {
        sink_->run(sink_stop_);
      } catch (const std::exception& e) {
        log::error("run", "the store writer stopped: %s", e.what());
        sink_failed_ = true;
      }
    });
  }

  void start_server() {
    const std::string db = cfg_.db;
    pool_ = std::make_shared<store::StorePool>([db] { return store::open_store(db, store::OpenMode::Reader); });
    serve::register_store_metrics(*metrics_, pool_);
    serve::ServerOptions opts;
    opts.host = cfg_.listen.host;
    opts.port = cfg_.listen.port;
    for (const FilterDef& f : cfg_.engine.filters.defs()) opts.filter_ids.insert(f.id);
    opts.metrics = metrics_;
    server_ = std::make_unique<serve::HttpServer>(opts, pool_);
    port_ = server_->start();
    if (!cfg_.port_file.empty()) write_port_file(cfg_.port_file, port_);
  }

  void start_task() {
    if (!cfg_.pub_endpoint.empty())
      pub_ = std::make_unique<emit::Publisher>(ctx_, cfg_.pub_endpoint, cfg_.pub_curve ? &*cfg_.pub_curve : nullptr,
                                               cfg_.insecure);
    stream::TaskConfig tc;
    tc.state_dir = cfg_.state_dir;
    tc.producer_prefix = "run";
    tc.sink_endpoint = kSinkEndpoint;
    tc.format = id_.format;
    tc.engine_kind = cfg_.engine_kind;
    tc.engine = cfg_.engine;
    tc.lock_wait = milliseconds(0);  // another process running on this state: refuse at once
    auto lag_of = [this](std::optional<int64_t> next) -> std::optional<int64_t> {
      const auto d = static_cast<int64_t>(due(wall_ms()));
      return std::max<int64_t>(0, d - next.value_or(0));
    };
    task_ = std::make_unique<stream::PartitionTask>(ctx_, tc, kPartition, lag_of, pub_.get(), &stop_);
    gen_ = std::make_unique<gen::Generator>(id_.gen);
    // The stream resumes where the checkpoint left it; the logged rounds after it are
    // produced again and re-executed before anything new.
    const auto resume = static_cast<uint64_t>(task_->next_offset().value_or(0));
    gen_->skip(resume);
    log::info("run", "%s engine, %.0f events/s, database %s, API http://%s:%u/, resuming at record %llu%s",
              task_->engine_name().c_str(), id_.rate, cfg_.db.c_str(), cfg_.listen.host.c_str(), port_,
              static_cast<unsigned long long>(resume), task_->recovering() ? " (replaying its log)" : "");
  }

  // Hands the task the next n records, each one message at its position, as Kafka would.
  void feed(uint64_t n, int64_t now_ms) {
    records_.resize(n);
    msgs_.clear();
    const bool text = id_.format != Format::Binary;
    for (uint64_t i = 0; i < n; ++i) {
      const int64_t offset = static_cast<int64_t>(gen_->produced());
      std::string& r = records_[i];
      r.clear();
      gen::append_record(id_.format, gen_->next(), r);
      if (text && !r.empty() && r.back() == '\n') r.pop_back();  // a message, not a line
      msgs_.push_back(stream::KafkaMessage{kPartition, offset, r});
    }
    task_->offer(msgs_, now_ms);
    probe_->records.inc(n);
    produced_now_ += n;
  }

  void loop() {
    const Clock::time_point t0 = Clock::now();
    Clock::time_point last_cp = t0, next_progress = t0 + cfg_.progress_interval;
    uint64_t at_progress = 0;
    Clock::time_point progress_from = t0;
    const auto max_batch = static_cast<uint64_t>(std::max(1.0, id_.rate));  // a second's worth
    for (uint64_t tick = 1; !stop_.load(); ++tick) {
      if (sink_failed_) throw std::runtime_error("the store writer stopped; see the message above");
      const Clock::time_point started = Clock::now();
      const int64_t now_ms = wall_ms();
      const uint64_t d = due(now_ms);
      const uint64_t n = std::min(d - std::min(d, gen_->produced()), max_batch);
      if (n > 0) feed(n, now_ms);
      else if (now_ms - task_->last_round_ms() >= 1000) task_->tick(now_ms, false);  // windows close on time
      task_->service();
      probe_->batch_seconds.observe(std::chrono::duration<double>(Clock::now() - started).count());
      probe_->engine_stages.publish(task_->stage_seconds());
      const EngineStats st = task_->engine_stats();
      if (st.watermark_ms != INT64_MIN && st.watermark_ms != INT64_MAX)
        probe_->watermark.set(static_cast<double>(st.watermark_ms) / 1000.0);
      if (gen_->done() && !task_->recovering()) {
        task_->tick(wall_ms(), /*finish=*/true);  // a bounded stream ends: every window closes
        return;
      }
      const Clock::time_point now = Clock::now();
      if (now - last_cp >= cfg_.checkpoint_interval && task_->checkpoint(milliseconds(200))) last_cp = now;
      if (cfg_.progress_interval.count() > 0 && now >= next_progress) {
        const double secs = std::chrono::duration<double>(now - progress_from).count();
        progress(std::to_string(std::llround(static_cast<double>(produced_now_ - at_progress) / std::max(secs, 1e-9))) +
                 " events/s");
        at_progress = produced_now_;
        progress_from = now;
        next_progress = now + cfg_.progress_interval;
      }
      if (cfg_.duration.count() > 0 && now - t0 >= cfg_.duration) return;
      const Clock::time_point wake = t0 + cfg_.batch_interval * static_cast<int64_t>(tick);
      while (!stop_.load() && Clock::now() < wake)
        std::this_thread::sleep_for(std::min<Clock::duration>(wake - Clock::now(), milliseconds(20)));
    }
  }

  void progress(const std::string& what) const {
    const EngineStats st = task_->engine_stats();
    const std::string wm = st.watermark_ms == INT64_MIN || st.watermark_ms == INT64_MAX
                               ? std::string("-")
                               : format_minute(minute_of(st.watermark_ms) - 1);
    log::info("run", "%s, last closed %s, record %llu, late %llu (dropped %llu), duplicates %llu, "
              "rejected %llu, unacknowledged %zu",
              what.c_str(), wm.c_str(), static_cast<unsigned long long>(gen_->produced()),
              static_cast<unsigned long long>(st.late_counted), static_cast<unsigned long long>(st.dropped_late),
              static_cast<unsigned long long>(st.duplicates), static_cast<unsigned long long>(task_->rejected()),
              task_->channel_stats().in_flight);
  }

  // Everything acknowledged and checkpointed: at the end of a bounded stream it must be (a
  // while, then an error); stopped by a signal, a few tries, since the batch log keeps the rest.
  void finish() {
    const bool ended = task_->finished();
    const auto until = Clock::now() + (ended ? std::chrono::seconds(120) : std::chrono::seconds(5));
    bool saved = false;
    while (!(saved = task_->checkpoint(milliseconds(500))) && Clock::now() < until && !sink_failed_) {
    }
    progress(ended ? "finished" : "stopping");
    task_.reset();
    sink_stop_ = true;
    sink_thread_.join();
    server_->stop();
    if (!saved && ended) throw std::runtime_error("the store did not take the last results; a restart sends them again");
    log::info("run", "%s", saved ? "stopped" : "stopped; the batch log keeps what was not stored");
  }

  const RunConfig& cfg_;
  const RunIdentity& id_;
  const std::atomic<bool>& stop_;
  zmq::context_t ctx_;
  std::shared_ptr<metrics::MetricsRegistry> metrics_;
  std::unique_ptr<RunProbe> probe_;
  std::unique_ptr<store::AggregateStore> writer_;
  std::unique_ptr<sink::SinkService> sink_;
  std::atomic<bool> sink_stop_{false}, sink_failed_{false};
  std::thread sink_thread_;
  std::shared_ptr<store::StorePool> pool_;
  std::unique_ptr<serve::HttpServer> server_;
  uint16_t port_ = 0;
  std::unique_ptr<emit::Publisher> pub_;
  std::unique_ptr<stream::PartitionTask> task_;
  std::unique_ptr<gen::Generator> gen_;
  std::vector<std::string> records_;
  std::vector<stream::KafkaMessage> msgs_;
  uint64_t produced_now_ = 0;
};

}  // namespace

void run_pipeline(const RunConfig& config, const std::atomic<bool>& stop) { Pipeline(config, stop).run(); }

}  // namespace clickagg::run
