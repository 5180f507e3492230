#include "host/metrics/metrics_endpoint.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "host/http/http_service.h"
#include "host/http/listen_address.h"

namespace clickagg::metrics {

struct MetricsEndpoint::Impl {
  Impl(const std::string& listen, const MetricsRegistry& registry, std::function<std::string()> extra,
       HealthCheck health)
      : addr(http::parse_listen_address(listen)),
        http(addr.host, addr.port, small(),
             [&registry, extra = std::move(extra), health = std::move(health)](const http::HttpRequest& r) {
          if (r.raw_path == "/metrics") {
            std::string body = registry.render();
            if (extra) body += extra();
            return http::HttpResponse{200, "text/plain; version=0.0.4", std::move(body), {}};
          }
          if (r.raw_path == "/healthz") {
            if (const std::optional<std::string> why = health ? health() : std::nullopt)
              return http::HttpResponse{503, "application/json",
                                  nlohmann::json{{"status", "unavailable"}, {"reason", *why}}.dump(), {}};
            return http::HttpResponse{200, "application/json", R"({"status":"ok"})", {}};
          }
          return http::json_error(404, "not found");
        }) {}

  // A scrape now and then: one thread each way is plenty.
  static http::HttpLimits small() {
    http::HttpLimits l;
    l.io_threads = 1;
    l.handler_threads = 1;
    l.max_connections = 256;
    return l;
  }

  http::ListenAddress addr;
  http::HttpService http;
};

MetricsEndpoint::MetricsEndpoint(const std::string& listen, const MetricsRegistry& registry,
                                 std::function<std::string()> extra, HealthCheck health)
    : impl_(std::make_unique<Impl>(listen, registry, std::move(extra), std::move(health))) {
  try {
    impl_->http.start();
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("metrics endpoint: ") + e.what());
  }
}

MetricsEndpoint::~MetricsEndpoint() { impl_->http.stop(); }

int MetricsEndpoint::port() const { return impl_->http.port(); }

}  // namespace clickagg::metrics
