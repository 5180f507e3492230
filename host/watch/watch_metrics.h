// The watcher's /metrics and /healthz endpoint: the probe's values in the Prometheus text
// format, read at scrape time.
#pragma once
#include <memory>
#include <string>

#include "host/watch/watch_probe.h"

namespace clickagg::watch {

class WatchMetricsServer {
 public:
  // Listens on `listen` ("HOST:PORT") in a background thread; throws when it cannot bind.
  WatchMetricsServer(const std::string& listen, const WatchProbe& probe);
  ~WatchMetricsServer();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The exposition text itself (what /metrics returns).
std::string render_watch_metrics(const WatchProbe& probe);

}  // namespace clickagg::watch
