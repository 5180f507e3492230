// The HTTP front of the store: the query API, /healthz, /metrics and the dashboard page, on
// an http::HttpService (host/http/http_service.h). Requests read through a pool of reader connections, so
// the server works beside a writer on the same database.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "host/http/http_service.h"
#include "host/metrics/metrics_registry.h"
#include "host/store/store_pool.h"

namespace clickagg::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;                       // 0: any free port
  std::set<uint16_t> filter_ids;              // configured filters; 0 is always accepted
  std::shared_ptr<metrics::MetricsRegistry> metrics;   // null: the server makes its own
  std::function<int64_t()> wall_clock_ms;     // null: the system clock
  // Threads running queries (a connection holds none while it waits or sends).
  size_t threads = 16;
  http::HttpLimits limits;  // timeouts and sizes; its handler_threads is `threads`
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, std::shared_ptr<store::StorePool> stores);
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving in a background thread; returns the bound port. Throws
  // std::runtime_error when the address cannot be bound.
  uint16_t start();
  // Stops accepting, finishes requests in flight and joins the thread. Idempotent.
  void stop();
  uint16_t port() const;
  metrics::MetricsRegistry& metrics();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clickagg::serve
