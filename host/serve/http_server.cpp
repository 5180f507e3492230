#include "host/serve/http_server.h"

#include <algorithm>
#include <chrono>

#include "host/serve/dashboard_page.h"
#include "host/serve/query_api.h"

namespace clickagg::serve {

namespace {

constexpr const char* kJson = "application/json";

int64_t system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A bounded set of route labels for metrics: never the raw path, whose ad ids are unbounded.
std::string route_label(const http::HttpRequest* r) {
  if (r == nullptr) return "other";
  const std::string& path = r->raw_path;
  if (path == "/" || path == "/healthz" || path == "/metrics" || path == "/openapi.json" ||
      path == "/v1/status" || path == "/v1/ads/popular_ads")
    return path;
  const auto& seg = r->segments;
  if (seg.size() == 2 && seg[0] == "assets" && !seg[1].empty()) return "/assets/{name}";
  if (seg.size() == 4 && seg[0] == "v1" && seg[1] == "ads" && !seg[2].empty() &&
      (seg[3] == "aggregated_count" || seg[3] == "series"))
    return "/v1/ads/{ad_id}/" + seg[3];
  return "other";
}

http::HttpResponse json_ok(std::string body) { return http::HttpResponse{200, kJson, std::move(body), {}}; }

}  // namespace

struct HttpServer::Impl {
  Impl(ServerOptions opts, std::shared_ptr<store::StorePool> stores)
      : options(std::move(opts)),
        metrics(options.metrics ? options.metrics : std::make_shared<metrics::MetricsRegistry>()),
        api(std::move(stores), options.filter_ids,
            options.wall_clock_ms ? options.wall_clock_ms : system_clock_ms),
        latency(&metrics->histogram("clickagg_http_request_duration_seconds",
                                    "Time to answer an HTTP request.",
                                    metrics::latency_buckets_seconds())),
        http(options.host, options.port, limits(options), [this](const http::HttpRequest& r) { return route(r); },
             [this](const http::HttpRequest* r, int status, double seconds) { observe(r, status, seconds); }) {}

  static http::HttpLimits limits(const ServerOptions& o) {
    http::HttpLimits l = o.limits;
    l.handler_threads = static_cast<unsigned>(std::max<size_t>(o.threads, 1));
    return l;
  }

  // Runs a query, mapping failures to JSON error responses.
  template <typename F>
  static http::HttpResponse guarded(F&& body) {
    try {
      return json_ok(body());
    } catch (const BadRequest& e) {
      return http::json_error(400, e.what());
    } catch (const store::StoreError& e) {
      return http::json_error(503, std::string("database unavailable: ") + e.what());
    }
  }

  http::HttpResponse route(const http::HttpRequest& r) {
    const std::string& path = r.raw_path;
    if (path == "/healthz") return http::HttpResponse{200, kJson, R"({"status":"ok"})", {}};
    if (path == "/metrics") return http::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics->render(), {}};
    if (path == "/v1/status") return guarded([&] { return api.status(); });
    if (path == "/v1/ads/popular_ads") return guarded([&] { return api.popular_ads(r.params); });
    const auto& seg = r.segments;
    if (seg.size() == 4 && seg[0] == "v1" && seg[1] == "ads" && !seg[2].empty()) {
      if (seg[3] == "aggregated_count") return guarded([&] { return api.aggregated_count(seg[2], r.params); });
      if (seg[3] == "series") return guarded([&] { return api.series(seg[2], r.params); });
    }
    if (const WebAsset* asset = find_web_asset(path)) return serve_web_asset(*asset, r);
    return http::json_error(404, "not found");
  }

  void observe(const http::HttpRequest* r, int status, double seconds) {
    metrics
        ->counter("clickagg_http_requests_total", "HTTP requests answered, by route and status.",
                  {{"route", route_label(r)}, {"status", std::to_string(status)}})
        .inc();
    // A request refused before it was read whole has no handling time: no latency sample.
    if (r != nullptr) latency->observe(seconds);
  }

  ServerOptions options;
  std::shared_ptr<metrics::MetricsRegistry> metrics;
  QueryApi api;
  metrics::Histogram* latency;
  http::HttpService http;  // last: stopped and destroyed before what its handlers use
};

HttpServer::HttpServer(ServerOptions options, std::shared_ptr<store::StorePool> stores)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(stores))) {}

HttpServer::~HttpServer() { stop(); }

uint16_t HttpServer::start() { return impl_->http.start(); }

void HttpServer::stop() { impl_->http.stop(); }

uint16_t HttpServer::port() const { return impl_->http.port(); }

metrics::MetricsRegistry& HttpServer::metrics() { return *impl_->metrics; }

}  // namespace clickagg::serve
