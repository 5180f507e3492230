// clickagg sink: receives results from aggregators over the acknowledged channel and keeps
// them in the aggregate store (SQLite file or PostgreSQL). Runs until SIGINT/SIGTERM, then
// finishes the transaction in progress and exits 0.
#include <zmq.hpp>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>

#include "host/cli/commands.h"
#include "host/cli/settings.h"
#include "host/cli/curve_options.h"
#include "host/cli/duration_arg.h"
#include "host/cli/listen_arg.h"
#include "host/cli/stop_flag.h"
#include "host/common/log.h"
#include "host/common/malloc_tuning.h"
#include "host/common/time_util.h"
#include "host/engine/filters.h"
#include "host/metrics/metrics_endpoint.h"
#include "host/metrics/metrics_registry.h"
#include "host/serve/store_probe.h"
#include "host/sink/sink_service.h"
#include "host/store/aggregate_store.h"
#include "host/store/store_pool.h"

namespace clickagg::cli {

namespace {

struct SinkArgs {
  // Defaults: the settings table's.
  std::string listen;
  std::string db;
  std::string filters_path;
  uint32_t top = 0;
  std::string delay_per_commit;
  std::string metrics_listen;
  std::string curve_secret;
  std::vector<std::string> curve_allow;
  bool insecure = false;
};

// The filter table (ids and names) recorded for readers: the query API accepts these ids.
std::vector<store::FilterInfo> filters_of(const std::string& path) {
  std::vector<store::FilterInfo> out;
#if defined(CLICKAGG_HAVE_YAML)
  try {
    const FilterSet set = load_filters_yaml(path);  // kept alive: the loop runs over its defs
    for (const FilterDef& f : set.defs()) out.push_back({f.id, f.name});
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
#else
  (void)path;
  throw UsageError("this build cannot read YAML filter files");
#endif
  return out;
}

std::string progress_line(const sink::SinkStats& st, uint64_t applied_before, double secs,
                          const std::optional<store::Progress>& progress) {
  std::string line = "sink: ";
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.0f msg/s, committed", secs > 0 ? (st.applied - applied_before) / secs : 0.0);
  line += buf;
  if (st.committed.empty()) line += " -";
  for (const auto& [producer, seq] : st.committed) {
    std::snprintf(buf, sizeof buf, " %s=%" PRIu64, producer.c_str(), seq);
    line += buf;
  }
  const std::optional<int64_t> last_closed = progress ? progress->last_closed_minute : std::nullopt;
  line += ", last closed minute " + (last_closed ? format_minute(*last_closed) : std::string("-"));
  if (progress && progress->consumer_lag) line += ", consumer lag " + std::to_string(*progress->consumer_lag);
  std::snprintf(buf, sizeof buf, ", duplicates %" PRIu64 ", resent gaps %" PRIu64 ", failed commits %" PRIu64,
                st.duplicates, st.beyond_gap, st.failed_commits);
  line += buf;
  return line;
}

void run_sink(const SinkArgs& a) {
  tune_malloc_for_streaming();
  const auto delay = duration_arg("--delay-per-commit", a.delay_per_commit);
  const std::vector<store::FilterInfo> filters =
      a.filters_path.empty() ? std::vector<store::FilterInfo>{} : filters_of(a.filters_path);

  std::unique_ptr<store::AggregateStore> db;
  try {
    db = store::open_store(a.db, store::OpenMode::Writer);
  } catch (const store::StoreError& e) {
    throw UsageError(e.what());
  }
  if (!a.filters_path.empty()) db->set_filters(filters);

  const std::atomic<bool>& stop = install_stop_flag();
  zmq::context_t ctx;
  sink::SinkOptions opt;
  opt.listen = a.listen;
  opt.top_n = a.top;
  opt.delay_per_commit = delay;
  opt.metrics = std::make_shared<metrics::MetricsRegistry>();
  opt.curve = curve_server(a.curve_secret, a.curve_allow, "--curve-allow");
  opt.insecure = a.insecure;
  // Settings refused before anything starts (bad usage); what fails after this, a port in use
  // say, is a runtime failure.
  check_listen_exposure("the sink", opt.listen, opt.curve.has_value(), opt.insecure);
  if (!a.metrics_listen.empty()) listen_arg("--metrics-listen", a.metrics_listen);
  if (opt.curve && opt.curve->allowed.empty())
    throw UsageError("--curve-secret without --curve-allow: the sink would admit no aggregator");
  std::unique_ptr<sink::SinkService> service;
  std::unique_ptr<metrics::MetricsEndpoint> endpoint;
  service = std::make_unique<sink::SinkService>(ctx, *db, opt);
  if (!a.metrics_listen.empty()) {
    // The stored progress (what the dashboard shows) through reader connections of its own.
    const std::string location = a.db;
    serve::register_store_metrics(*opt.metrics, std::make_shared<store::StorePool>([location] {
                                    return store::open_store(location, store::OpenMode::Reader);
                                  }));
    endpoint = std::make_unique<metrics::MetricsEndpoint>(a.metrics_listen, *opt.metrics);
  }
  log::info("sink", "listening on %s (%s), writing %s", a.listen.c_str(),
            opt.curve ? ("CURVE, " + std::to_string(opt.curve->allowed.size()) + " aggregator keys admitted").c_str()
            : "no CURVE: any process that reaches it may write",
            a.db.c_str());

  uint64_t applied_before = 0;
  auto last = std::chrono::steady_clock::now();
  service->run(stop, [&](const sink::SinkStats& st) {
    const auto now = std::chrono::steady_clock::now();
    std::optional<store::Progress> progress;
    try {
      progress = db->progress();
    } catch (const store::StoreError&) {
      // A progress line without the minute beats no line.
    }
    const std::string line = progress_line(st, applied_before, std::chrono::duration<double>(now - last).count(), progress);
    log::info("sink", "%s", line.c_str());
    applied_before = st.applied;
    last = now;
  });
  const sink::SinkStats st = service->stats();
  log::info("sink", "stopped after %" PRIu64 " messages in %" PRIu64 " commits", st.applied,
            st.commits);
}

}  // namespace

void register_sink(CLI::App& app) {
  auto args = std::make_shared<SinkArgs>();
  auto settings = std::make_shared<CommandSettings>(app, kSink);
  CommandSettings& s = *settings;
  s.bind("listen", args->listen);
  s.bind("db", args->db);
  s.bind("curve-secret", args->curve_secret);
  s.bind("curve-allow", args->curve_allow);
  s.bind("insecure", args->insecure);
  s.bind("filters", args->filters_path);
  s.bind("top", args->top);
  s.bind("metrics-listen", args->metrics_listen);
  s.bind("delay-per-commit", args->delay_per_commit);
  s.on_run([args, settings] { run_sink(*args); });
}

}  // namespace clickagg::cli
