// An HTTP/1.1 server that holds against slow, idle and greedy clients: event-driven (Boost.Beast
// over Asio), so an open connection costs a socket and a buffer, never a thread. Every process
// that answers HTTP (the query API, the metrics endpoints) serves through it.
//
// Per connection, requests are read, answered and written one after another, so pipelined
// requests are answered in order. Each phase has its own deadline: the wait for the first byte
// of a request (idle keep-alive), the rest of its header, the writing of the answer. No route
// takes a body: a request that announces one is refused with 413. Malformed requests get 400,
// oversized headers 431, other methods than GET and HEAD 405; each of those closes the
// connection. Handlers run on a pool of their own, so a slow database read delays only its
// own connection.
//
//   HttpService svc("127.0.0.1", 0, HttpLimits{}, [](const HttpRequest& r) {
//     return HttpResponse{200, "text/plain", "hello " + r.path};
//   });
//   const uint16_t port = svc.start();
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clickagg::http {

struct HttpLimits {
  std::chrono::milliseconds idle_timeout{5'000};     // waiting for a request's first byte
  std::chrono::milliseconds header_timeout{10'000};  // from its first byte to its last header byte
  std::chrono::milliseconds write_timeout{10'000};   // writing the answer to the client
  unsigned max_requests_per_connection = 1'000;      // then the answer says Connection: close
  size_t max_header_bytes = 16 * 1024;               // request line and header fields
  size_t max_connections = 10'000;                   // more are closed as they are accepted
  unsigned io_threads = 2;                           // threads reading and writing sockets
  unsigned handler_threads = 16;                     // threads running handlers
};

struct HttpRequest {
  std::string method;            // GET or HEAD
  std::string raw_path;          // as sent, percent-encoded
  std::string path;              // percent-decoded
  std::vector<std::string> segments;  // the raw path split at '/', each percent-decoded
  std::multimap<std::string, std::string> params;  // the query string, decoded ('+' is a space)
  std::vector<std::pair<std::string, std::string>> headers;
  // The value of header `name` (case-insensitive), empty when absent.
  std::string_view header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A JSON error answer: {"error": message}.
HttpResponse json_error(int status, std::string_view message);

class HttpService {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  // Called once per answer, from any thread: the request (nullptr when it could not be read)
  // and the status, with the seconds from the request's last header byte to its answer.
  using Observer = std::function<void(const HttpRequest*, int status, double seconds)>;

  HttpService(std::string host, uint16_t port, HttpLimits limits, Handler handler, Observer observer = {});
  ~HttpService();  // stops
  HttpService(const HttpService&) = delete;
  HttpService& operator=(const HttpService&) = delete;

  // Binds (port 0: any free port) and starts serving; returns the bound port. Throws
  // std::runtime_error naming the address and the reason when it cannot bind.
  uint16_t start();
  // Stops accepting, lets handlers that run finish, closes every connection. Idempotent.
  void stop();
  uint16_t port() const;
  size_t connections() const;

  struct Impl;  // opaque; public so that the connections in the source can name it

 private:
  std::unique_ptr<Impl> impl_;
};

// Percent-decoding; with plus_is_space, '+' decodes to ' ' (query strings). An invalid escape
// is kept as it is.
std::string percent_decode(std::string_view s, bool plus_is_space);

}  // namespace clickagg::http
