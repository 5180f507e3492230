#include "host/serve/http_server.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "host/serve/dashboard_page.h"
#include "host/serve/query_api.h"

namespace clickagg::serve {

namespace {

constexpr const char* kJson = "application/json";
// Short keep-alive so stop() is not held up by an idle client connection.
constexpr time_t kKeepAliveSeconds = 2;

int64_t system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void json_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                            nlohmann::json::error_handler_t::replace),
                  kJson);
}

std::string status_text(int status) {
  switch (status) {
    case 400: return "bad request";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 413: return "payload too large";
    case 414: return "uri too long";
    default: return "request failed with status " + std::to_string(status);
  }
}

// A bounded set of route labels for metrics: never the raw path, whose ad ids are unbounded.
std::string route_label(const std::string& path) {
  static constexpr std::string_view kAds = "/v1/ads/";
  if (path == "/" || path == "/healthz" || path == "/metrics" || path == "/openapi.json" ||
      path == "/v1/status" || path == "/v1/ads/popular_ads")
    return path;
  const std::string_view p = path;
  if (p.starts_with("/assets/") && p.find('/', 8) == std::string_view::npos) return "/assets/{name}";
  for (const std::string_view tail : {"/aggregated_count", "/series"})
    if (p.starts_with(kAds) && p.ends_with(tail) && p.size() > kAds.size() + tail.size() &&
        p.substr(kAds.size(), p.size() - kAds.size() - tail.size()).find('/') ==
            std::string_view::npos)
      return "/v1/ads/{ad_id}" + std::string(tail);
  return "other";
}

// When this thread started on the current request (handlers run on one thread each).
thread_local std::chrono::steady_clock::time_point request_start;

}  // namespace

struct HttpServer::Impl {
  Impl(ServerOptions opts, std::shared_ptr<store::StorePool> stores)
      : options(std::move(opts)),
        metrics(options.metrics ? options.metrics : std::make_shared<MetricsRegistry>()),
        api(std::move(stores), options.filter_ids,
            options.wall_clock_ms ? options.wall_clock_ms : system_clock_ms),
        latency(&metrics->histogram("clickagg_http_request_duration_seconds",
                                    "Time to answer an HTTP request.",
                                    latency_buckets_seconds())) {}

  // Runs a handler, mapping failures to JSON error responses.
  template <typename F>
  void guarded(httplib::Response& res, F&& body) {
    try {
      body();
    } catch (const BadRequest& e) {
      json_error(res, 400, e.what());
    } catch (const store::StoreError& e) {
      json_error(res, 503, std::string("database unavailable: ") + e.what());
    } catch (const std::exception& e) {
      json_error(res, 500, e.what());
    }
  }

  void install_routes() {
    http.set_keep_alive_timeout(kKeepAliveSeconds);
    // httplib's default pool is max(8, cores - 1): a ninth keep-alive client (a few browser
    // tabs already open that many) would wait for another to go idle.
    http.new_task_queue = [n = std::max<size_t>(options.threads, 1)] { return new httplib::ThreadPool(n); };
    // A response goes out as two writes (headers, body): with Nagle's algorithm the second
    // waits for the client's delayed ACK, 40 ms on Linux.
    http.set_tcp_nodelay(true);
    // SO_REUSEADDR without httplib's default SO_REUSEPORT: a restart may rebind at once, but a
    // second server on a port in use fails instead of silently sharing it.
    http.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    http.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      request_start = std::chrono::steady_clock::now();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status":"ok"})", kJson);
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics->render(), "text/plain; version=0.0.4; charset=utf-8");
    });
    http.Get(kWebAssetRoute, serve_web_asset);
    http.Get("/v1/status", [this](const httplib::Request&, httplib::Response& res) {
      guarded(res, [&] { res.set_content(api.status(), kJson); });
    });
    http.Get(R"(/v1/ads/([^/]+)/series)", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(res, [&] { res.set_content(api.series(req.matches[1].str(), req.params), kJson); });
    });
    http.Get("/v1/ads/popular_ads", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(res, [&] { res.set_content(api.popular_ads(req.params), kJson); });
    });
    http.Get(R"(/v1/ads/([^/]+)/aggregated_count)",
             [this](const httplib::Request& req, httplib::Response& res) {
               guarded(res, [&] {
                 res.set_content(api.aggregated_count(req.matches[1].str(), req.params), kJson);
               });
             });
    // Every error without a body of its own (unknown route, malformed request) gets one.
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request&, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          json_error(res, res.status, status_text(res.status));
          return httplib::Server::HandlerResponse::Handled;
        }));
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      const std::string route = route_label(req.path);
      metrics
          ->counter("clickagg_http_requests_total", "HTTP requests answered, by route and status.",
                    {{"route", route}, {"status", std::to_string(res.status)}})
          .inc();
      // A request refused before routing (malformed) has no start time: no latency sample.
      if (request_start == std::chrono::steady_clock::time_point{}) return;
      const auto elapsed = std::chrono::steady_clock::now() - request_start;
      request_start = {};
      latency->observe(std::chrono::duration<double>(elapsed).count());
    });
  }

  ServerOptions options;
  std::shared_ptr<MetricsRegistry> metrics;
  QueryApi api;
  Histogram* latency;
  httplib::Server http;
  std::thread thread;
  uint16_t port = 0;
  bool started = false;
  std::atomic<bool> listen_returned{false};
};

HttpServer::HttpServer(ServerOptions options, std::shared_ptr<store::StorePool> stores)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(stores))) {
  impl_->install_routes();
}

HttpServer::~HttpServer() { stop(); }

uint16_t HttpServer::start() {
  if (impl_->started) return impl_->port;
  const std::string& host = impl_->options.host;
  int port = impl_->options.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(host);
    if (port < 0) port = 0;
  } else if (!impl_->http.bind_to_port(host, port)) {
    port = 0;
  }
  if (port == 0)
    throw std::runtime_error("cannot listen on " + host + ":" +
                             std::to_string(impl_->options.port));
  impl_->port = static_cast<uint16_t>(port);
  impl_->started = true;
  impl_->listen_returned = false;
  impl_->thread = std::thread([this] {
    impl_->http.listen_after_bind();
    impl_->listen_returned = true;
  });
  // httplib's stop() is a no-op until the accept loop runs, so a stop() right after start()
  // would be lost: return only once the loop is up.
  while (!impl_->http.is_running() && !impl_->listen_returned)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return impl_->port;
}

void HttpServer::stop() {
  if (!impl_->started) return;
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->started = false;
}

uint16_t HttpServer::port() const { return impl_->port; }

MetricsRegistry& HttpServer::metrics() { return *impl_->metrics; }

}  // namespace clickagg::serve
