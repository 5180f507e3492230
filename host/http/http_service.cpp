#include "host/http/http_service.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>

namespace clickagg::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool equal_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The request line's target split into the request's path, segments and parameters.
void parse_target(std::string_view target, HttpRequest& r) {
  const size_t q = target.find('?');
  r.raw_path = std::string(target.substr(0, q));
  r.path = percent_decode(r.raw_path, false);
  std::string_view rest = r.raw_path;
  if (rest.starts_with('/')) rest.remove_prefix(1);
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    r.segments.push_back(percent_decode(rest.substr(0, slash), false));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
    if (rest.empty()) r.segments.emplace_back();  // a trailing '/'
  }
  if (q == std::string_view::npos) return;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    if (!item.empty()) {
      const size_t eq = item.find('=');
      r.params.emplace(percent_decode(item.substr(0, eq), true),
                       eq == std::string_view::npos ? std::string() : percent_decode(item.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (equal_nocase(k, name)) return v;
  return {};
}

HttpResponse json_error(int status, std::string_view message) {
  return HttpResponse{status, "application/json",
                      nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      {}};
}

namespace {
// A connection that stop() can close from outside.
struct Closable {
  virtual ~Closable() = default;
  virtual void close_soon() = 0;
};
}  // namespace

struct HttpService::Impl {
  Impl(std::string h, uint16_t p, HttpLimits l, Handler hd, Observer ob)
      : host(std::move(h)), requested_port(p), limits(l), handler(std::move(hd)), observer(std::move(ob)) {}

  void accept();
  void observe(const HttpRequest* r, int status, double seconds) {
    if (observer) observer(r, status, seconds);
  }

  const std::string host;
  const uint16_t requested_port;
  const HttpLimits limits;
  const Handler handler;
  const Observer observer;
  std::atomic<size_t> open{0};      // connections
  std::atomic<size_t> running{0};   // handlers
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::map<Closable*, std::weak_ptr<Closable>> sessions;
  uint16_t port = 0;
  bool started = false;
  // Declared last, destroyed first (with the connections its queue still holds): what they
  // refer to outlives them.
  asio::io_context io;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::thread_pool> pool;
  std::vector<std::thread> threads;
};

namespace {

// One client connection: read a request, answer it, write the answer, and again.
class Session final : public Closable, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpService::Impl* svc) : stream_(std::move(socket)), svc_(svc) { ++svc_->open; }
  ~Session() override {
    {
      std::lock_guard lock(svc_->mu);
      svc_->sessions.erase(this);
    }
    --svc_->open;
  }

  void start() {
    {
      std::lock_guard lock(svc_->mu);
      svc_->sessions.emplace(this, shared_from_this());
    }
    wait_for_request();
  }
  void close_soon() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  const HttpLimits& limits() const { return svc_->limits; }

  void wait_for_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().max_header_bytes));
    parser_->body_limit(0);  // no route takes a body
    if (buffer_.size() > 0) return read_header();  // pipelined: the next request is here
    stream_.expires_after(limits().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
      if (ec) return self->close();
      self->buffer_.commit(n);
      self->read_header();
    });
  }

  void read_header() {
    stream_.expires_after(limits().header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == beast::error::timeout) return refuse(408, "request timeout: the header took too long");
    if (ec == http::error::header_limit) return refuse(431, "request header fields too large");
    if (ec == http::error::body_limit) return refuse(413, "payload too large: no route takes a body");
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) return close();
    if (ec) return refuse(400, "bad request");
    // A chunked body announces no length: refused like any other.
    if (!parser_->is_done()) return refuse(413, "payload too large: no route takes a body");
    const auto& req = parser_->get();
    if (req.method() != http::verb::get && req.method() != http::verb::head)
      return refuse(405, "method not allowed", {{"Allow", "GET, HEAD"}});
    head_ = req.method() == http::verb::head;
    ++served_;
    keep_alive_ = req.keep_alive() && served_ < limits().max_requests_per_connection && !svc_->stopping;
    auto r = std::make_shared<HttpRequest>();
    r->method = std::string(req.method_string());
    parse_target(std::string_view(req.target().data(), req.target().size()), *r);
    for (const auto& f : req) r->headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    const Clock::time_point t0 = Clock::now();
    ++svc_->running;
    // The handler may block on a database: off the socket threads.
    asio::post(*svc_->pool, [self = shared_from_this(), r, t0] {
      HttpResponse res;
      try {
        res = self->svc_->handler(*r);
      } catch (const std::exception& e) {
        res = json_error(500, e.what());
      }
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      self->svc_->observe(r.get(), res.status, secs);
      --self->svc_->running;
      asio::post(self->stream_.get_executor(),
                 [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    });
  }

  // Answers with an error and closes: what follows a request that could not be read cannot be
  // trusted to start a request.
  void refuse(int status, std::string_view why, std::vector<std::pair<std::string, std::string>> headers = {}) {
    svc_->observe(nullptr, status, 0.0);
    keep_alive_ = false;
    head_ = false;
    HttpResponse res = json_error(status, why);
    res.headers = std::move(headers);
    write(std::move(res));
  }

  void write(HttpResponse res) {
    res_ = {};
    res_.result(static_cast<unsigned>(res.status));
    res_.version(11);
    if (!res.content_type.empty()) res_.set(http::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) res_.set(k, v);
    res_.body() = std::move(res.body);
    res_.keep_alive(keep_alive_);
    res_.prepare_payload();
    if (head_) {
      // HEAD: the length of what GET would send, and nothing after the header.
      const size_t length = res_.body().size();
      res_.body().clear();
      res_.content_length(length);
    }
    stream_.expires_after(limits().write_timeout);
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_) return self->close();
      self->wait_for_request();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  HttpService::Impl* svc_;
  beast::flat_buffer buffer_{64 * 1024};
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> res_;
  unsigned served_ = 0;
  bool keep_alive_ = false;
  bool head_ = false;
};

}  // namespace

void HttpService::Impl::accept() {
  acceptor->async_accept(asio::make_strand(io), [self = this](beast::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || self->stopping) return;
    if (!ec) {
      if (self->open.load() >= self->limits.max_connections) {
        beast::error_code ignored;
        s.close(ignored);
      } else {
        // A response goes out as header and body writes: without this the second waits for
        // the client's delayed ACK (40 ms on Linux).
        beast::error_code ignored;
        s.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(s), self)->start();
      }
    }
    self->accept();
  });
}

HttpService::HttpService(std::string host, uint16_t port, HttpLimits limits, Handler handler, Observer observer)
    : impl_(std::make_unique<Impl>(std::move(host), port, limits, std::move(handler), std::move(observer))) {}

HttpService::~HttpService() { stop(); }

uint16_t HttpService::start() {
  Impl& s = *impl_;
  if (s.started) return s.port;
  const std::string where = s.host + ":" + std::to_string(s.requested_port);
  try {
    beast::error_code ec;
    asio::ip::address address = asio::ip::make_address(s.host, ec);
    if (ec) {  // a name: its first address
      tcp::resolver resolver(s.io);
      address = resolver.resolve(s.host, std::to_string(s.requested_port))->endpoint().address();
    }
    const tcp::endpoint ep(address, s.requested_port);
    s.acceptor.emplace(s.io);
    s.acceptor->open(ep.protocol());
    // A restart may rebind at once; no SO_REUSEPORT, so a second server on a port in use fails.
    s.acceptor->set_option(asio::socket_base::reuse_address(true));
    s.acceptor->bind(ep);
    s.acceptor->listen(asio::socket_base::max_listen_connections);
    s.port = s.acceptor->local_endpoint().port();
  } catch (const std::exception& e) {
    s.acceptor.reset();
    throw std::runtime_error("cannot listen on " + where + ": " + e.what());
  }
  s.pool.emplace(std::max(1u, s.limits.handler_threads));
  s.started = true;
  s.stopping = false;
  s.accept();
  for (unsigned i = 0; i < std::max(1u, s.limits.io_threads); ++i) s.threads.emplace_back([&io = s.io] { io.run(); });
  return s.port;
}

void HttpService::stop() {
  Impl& s = *impl_;
  if (!s.started) return;
  s.stopping = true;
  asio::post(s.io, [&s] {
    beast::error_code ec;
    s.acceptor->close(ec);
  });
  // Every connection closes; handlers that run finish (their answers go nowhere).
  std::vector<std::shared_ptr<Closable>> open;
  {
    std::lock_guard lock(s.mu);
    for (auto& [p, weak] : s.sessions)
      if (auto session = weak.lock()) open.push_back(std::move(session));
  }
  for (auto& session : open) session->close_soon();
  open.clear();
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while ((s.running.load() > 0 || s.open.load() > 0) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  s.pool->join();
  s.io.stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  s.pool.reset();
  s.acceptor.reset();
  s.io.restart();
  s.started = false;
}

uint16_t HttpService::port() const { return impl_->port; }

size_t HttpService::connections() const { return impl_->open.load(); }

}  // namespace clickagg::http
