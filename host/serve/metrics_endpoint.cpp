#include "host/serve/metrics_endpoint.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "host/serve/listen_address.h"

namespace clickagg::serve {

struct MetricsEndpoint::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::atomic<bool> listen_returned{false};
};

MetricsEndpoint::MetricsEndpoint(const std::string& listen, const MetricsRegistry& registry,
                                 std::function<std::string()> extra)
    : impl_(std::make_unique<Impl>()) {
  impl_->server.Get("/metrics", [&registry, extra](const httplib::Request&, httplib::Response& res) {
    std::string body = registry.render();
    if (extra) body += extra();
    res.set_content(body, "text/plain; version=0.0.4");
  });
  impl_->server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  ListenAddress addr;
  try {
    addr = parse_listen_address(listen);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  if (addr.port == 0) {
    impl_->port = impl_->server.bind_to_any_port(addr.host);
    if (impl_->port <= 0) throw std::runtime_error("cannot listen for metrics on " + listen);
  } else {
    if (!impl_->server.bind_to_port(addr.host, addr.port)) throw std::runtime_error("cannot listen for metrics on " + listen);
    impl_->port = addr.port;
  }
  impl_->thread = std::thread([this] {
    impl_->server.listen_after_bind();
    impl_->listen_returned = true;
  });
  // httplib's stop() is a no-op until the accept loop runs: a destructor right after the
  // constructor would otherwise wait forever.
  while (!impl_->server.is_running() && !impl_->listen_returned)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

MetricsEndpoint::~MetricsEndpoint() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int MetricsEndpoint::port() const { return impl_->port; }

}  // namespace clickagg::serve
