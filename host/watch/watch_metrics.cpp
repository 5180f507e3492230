#include "host/watch/watch_metrics.h"

#include "host/metrics/metrics_endpoint.h"
#include "host/metrics/metrics_registry.h"

namespace clickagg::watch {

namespace {

void register_probe(metrics::MetricsRegistry& r, const WatchProbe& probe) {
  r.counter_of("clickagg_watch_lines_sent_total", "Lines acknowledged by the broker", probe.lines_sent);
  r.counter_of("clickagg_watch_bytes_sent_total", "Bytes of the lines acknowledged by the broker", probe.bytes_sent);
  r.counter_of("clickagg_watch_rejected_total", "Malformed lines written to the dead-letter file", probe.rejected);
  r.counter_of("clickagg_watch_produce_errors_total", "Batches that failed to deliver and were sent again",
          probe.produce_errors);
  r.counter_of("clickagg_watch_batches_total", "Batches delivered and committed", probe.batches);
  r.gauge_fn("clickagg_watch_files_tracked", "Files being tailed",
             [&probe] { return static_cast<double>(probe.files_tracked.load()); });
}

// Prometheus label values escape backslash, double quote and newline.
std::string label_value(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string render_lag(const WatchProbe& probe) {
  // Per-file lag changes with the set of files, so it is rendered here directly.
  std::string body = "# HELP clickagg_watch_offset_lag_bytes Bytes in the file after the last acknowledged line\n"
                     "# TYPE clickagg_watch_offset_lag_bytes gauge\n";
  for (const auto& [path, lag] : probe.lag())
    body += "clickagg_watch_offset_lag_bytes{file=\"" + label_value(path) + "\"} " + std::to_string(lag) + "\n";
  return body;
}

}  // namespace

struct WatchMetricsServer::Impl {
  metrics::MetricsRegistry registry;
  std::unique_ptr<metrics::MetricsEndpoint> endpoint;
};

std::string render_watch_metrics(const WatchProbe& probe) {
  metrics::MetricsRegistry r;
  register_probe(r, probe);
  return r.render() + render_lag(probe);
}

WatchMetricsServer::WatchMetricsServer(const std::string& listen, const WatchProbe& probe)
    : impl_(std::make_unique<Impl>()) {
  register_probe(impl_->registry, probe);
  impl_->endpoint = std::make_unique<metrics::MetricsEndpoint>(listen, impl_->registry,
                                                             [&probe] { return render_lag(probe); });
}

WatchMetricsServer::~WatchMetricsServer() = default;

}  // namespace clickagg::watch
