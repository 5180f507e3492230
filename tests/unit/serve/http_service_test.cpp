// The HTTP service against clients that are slow, idle, greedy or broken, over raw sockets:
// pipelined requests answered in order, each phase's deadline, the per-connection request
// limit, bodies and oversized headers refused, and hundreds of hostile connections that do
// not keep a normal request from its answer.
#include "host/http/http_service.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace clickagg::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A raw TCP client: what it sends is exactly what the test wrote.
class Conn {
 public:
  explicit Conn(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  Conn(Conn&& o) noexcept : fd_(std::exchange(o.fd_, -1)), ok_(o.ok_), in_(std::move(o.in_)) {}

  bool ok() const { return ok_; }
  bool send(std::string_view s) { return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()); }
  // Reads what arrives first within `wait`; false once the server has closed the connection.
  bool read_for(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return true;
    char buf[8192];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in_.append(buf, static_cast<size_t>(n));
    return true;
  }
  // One whole answer (status and body), waiting up to `wait`; status 0 if none came.
  struct Answer {
    int status = 0;
    std::string head, body;
  };
  // (`head`: the answer to a HEAD request, whose Content-Length announces no body.)
  Answer answer(std::chrono::milliseconds wait = 5000ms, bool head = false) {
    const auto until = Clock::now() + wait;
    for (;;) {
      const size_t end = in_.find("\r\n\r\n");
      if (end != std::string::npos) {
        Answer a;
        a.head = in_.substr(0, end);
        a.status = std::stoi(a.head.substr(9, 3));
        size_t len = 0;
        if (const size_t cl = a.head.find("Content-Length: "); cl != std::string::npos && !head)
          len = std::stoul(a.head.substr(cl + 16));
        if (in_.size() >= end + 4 + len) {
          a.body = in_.substr(end + 4, len);
          in_.erase(0, end + 4 + len);
          return a;
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (left <= 0ms || !read_for(std::min(left, 50ms))) {
        if (Clock::now() >= until || in_.find("\r\n\r\n") == std::string::npos) return {};
      }
    }
  }
  // True once the server has closed the connection (within `wait`).
  bool closed_within(std::chrono::milliseconds wait) {
    const auto until = Clock::now() + wait;
    while (Clock::now() < until)
      if (!read_for(20ms)) return true;
    return false;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::string in_;
};

// The service's count of open connections once it has settled (the client may see a close
// before the server has released the connection).
size_t settled_connections(const HttpService& svc) {
  const auto until = Clock::now() + 2s;
  while (svc.connections() > 0 && Clock::now() < until) std::this_thread::sleep_for(5ms);
  return svc.connections();
}

HttpResponse echo(const HttpRequest& r) {
  std::string body = r.method + " " + r.path;
  for (const auto& [k, v] : r.params) body += " " + k + "=" + v;
  return HttpResponse{200, "text/plain", body, {}};
}

const std::string kGet = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(HttpService, PipelinedRequestsAreAnsweredInOrder) {
  HttpService svc("127.0.0.1", 0, HttpLimits{}, echo);
  const uint16_t port = svc.start();
  Conn c(port);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send("GET /a?x=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /b%20c?y=a+b%2Bc HTTP/1.1\r\nHost: x\r\n\r\n"
                     "HEAD /c HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto a = c.answer(), b = c.answer(), h = c.answer(5s, /*head=*/true);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "GET /a x=1");
  EXPECT_EQ(b.body, "GET /b c y=a b+c");
  EXPECT_EQ(h.status, 200);
  EXPECT_NE(h.head.find("Content-Length: 7"), std::string::npos) << h.head;  // "HEAD /c", not sent
  EXPECT_EQ(h.body, "");
  // And the connection stays open for more.
  ASSERT_TRUE(c.send(kGet));
  EXPECT_EQ(c.answer().body, "GET /hello");
}

TEST(HttpService, SegmentsAreDecodedAfterSplitting) {
  HttpRequest seen;
  HttpService svc("127.0.0.1", 0, HttpLimits{}, [&](const HttpRequest& r) {
    seen = r;
    return HttpResponse{204, "", "", {}};
  });
  Conn c(svc.start());
  ASSERT_TRUE(c.send("GET /v1/ads/a%2Fb%zz/series HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c.answer().status, 204);
  EXPECT_EQ(seen.segments, (std::vector<std::string>{"v1", "ads", "a/b%zz", "series"}));
  EXPECT_EQ(seen.raw_path, "/v1/ads/a%2Fb%zz/series");
}

TEST(HttpService, AHeaderSentTooSlowlyIsCutOff) {
  HttpLimits l;
  l.header_timeout = 600ms;
  HttpService svc("127.0.0.1", 0, l, echo);
  const uint16_t port = svc.start();
  Conn slow(port);
  ASSERT_TRUE(slow.send("GET /hello HTTP/1.1\r\n"));
  const auto t0 = Clock::now();
  bool cut = false;
  for (int i = 0; i < 40 && !cut; ++i) {  // a header line every 100 ms, never the end
    if (!slow.send("X-Slow: " + std::to_string(i) + "\r\n")) break;
    cut = !slow.read_for(100ms);
  }
  const auto a = slow.answer(100ms);
  EXPECT_TRUE(cut || a.status == 408 || slow.closed_within(1s));
  EXPECT_LT(Clock::now() - t0, 3s);
}

TEST(HttpService, AnIdleKeepAliveConnectionIsClosed) {
  HttpLimits l;
  l.idle_timeout = 300ms;
  HttpService svc("127.0.0.1", 0, l, echo);
  Conn c(svc.start());
  ASSERT_TRUE(c.send(kGet));
  EXPECT_EQ(c.answer().status, 200);
  EXPECT_TRUE(c.closed_within(2s));
  Conn silent(svc.port());  // never sends a byte
  EXPECT_TRUE(silent.closed_within(2s));
}

TEST(HttpService, AConnectionServesAtMostItsLimitOfRequests) {
  HttpLimits l;
  l.max_requests_per_connection = 3;
  HttpService svc("127.0.0.1", 0, l, echo);
  Conn c(svc.start());
  ASSERT_TRUE(c.send(kGet + kGet + kGet + kGet));
  const auto a1 = c.answer(), a2 = c.answer(), a3 = c.answer();
  EXPECT_EQ(a1.head.find("Connection: close"), std::string::npos);
  EXPECT_EQ(a2.head.find("Connection: close"), std::string::npos);
  EXPECT_NE(a3.head.find("Connection: close"), std::string::npos) << a3.head;
  EXPECT_EQ(c.answer(300ms).status, 0) << "a fourth answer on the same connection";
  EXPECT_TRUE(c.closed_within(1s));
}

TEST(HttpService, BodiesAndOversizedHeadersAreRefused) {
  HttpLimits l;
  l.max_header_bytes = 2048;
  int handled = 0;
  HttpService svc("127.0.0.1", 0, l, [&](const HttpRequest& r) {
    ++handled;
    return echo(r);
  });
  const uint16_t port = svc.start();
  const struct {
    std::string request;
    int status;
  } cases[] = {
      {"GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 413},
      {"GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 268435456\r\n\r\n", 413},
      {"GET /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 413},
      {"POST /hello HTTP/1.1\r\nHost: x\r\n\r\n", 405},
      {"GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n", 431},
      {"GARBAGE\r\n\r\n", 400},
  };
  for (const auto& k : cases) {
    Conn c(port);
    ASSERT_TRUE(c.send(k.request));
    const auto a = c.answer();
    EXPECT_EQ(a.status, k.status) << k.request.substr(0, 60);
    EXPECT_NE(a.body.find("\"error\""), std::string::npos) << a.body;
    EXPECT_TRUE(c.closed_within(1s)) << k.request.substr(0, 60);
  }
  EXPECT_EQ(handled, 0) << "no refused request reaches a handler";
  EXPECT_EQ(settled_connections(svc), 0u);
}

// 250 connections trickle a header that never ends and 250 sit idle after a request; every
// normal request still gets its answer (the latency itself is measured by bench/api_bench.sh).
TEST(HttpService, HostileConnectionsDoNotStallOthers) {
  HttpLimits l;  // the defaults, as served
  HttpService svc("127.0.0.1", 0, l, echo);
  const uint16_t port = svc.start();
  std::vector<Conn> hostile;
  for (int i = 0; i < 250; ++i) {
    hostile.emplace_back(port);
    ASSERT_TRUE(hostile.back().send("GET /slow HTTP/1.1\r\n"));
    hostile.emplace_back(port);
    ASSERT_TRUE(hostile.back().send(kGet));
  }
  for (size_t i = 1; i < hostile.size(); i += 2) EXPECT_EQ(hostile[i].answer().status, 200);
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    for (int line = 0; !done; ++line) {
      for (size_t i = 0; i < hostile.size(); i += 2) hostile[i].send("X-Line: " + std::to_string(line) + "\r\n");
      std::this_thread::sleep_for(200ms);
    }
  });
  EXPECT_GE(svc.connections(), 500u);
  std::vector<double> ms;
  for (int i = 0; i < 100; ++i) {
    const auto t0 = Clock::now();
    Conn c(port);
    ASSERT_TRUE(c.send(kGet));
    const auto a = c.answer(5s);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    ASSERT_EQ(a.status, 200) << "request " << i;
  }
  done = true;
  trickle.join();
  std::sort(ms.begin(), ms.end());
  std::printf("normal requests beside 500 hostile connections: median %.2f ms, p99 %.2f ms\n", ms[50], ms[98]);
}

TEST(HttpService, TheAddressInUseIsNamedWithTheReason) {
  HttpService first("127.0.0.1", 0, HttpLimits{}, echo);
  const uint16_t port = first.start();
  HttpService second("127.0.0.1", port, HttpLimits{}, echo);
  try {
    second.start();
    FAIL() << "a second server bound the same port";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
    EXPECT_NE(what.find("in use"), std::string::npos) << what;
  }
}

TEST(HttpService, StopClosesEveryConnection) {
  HttpService svc("127.0.0.1", 0, HttpLimits{}, echo);
  const uint16_t port = svc.start();
  Conn idle(port), half(port);
  ASSERT_TRUE(half.send("GET /x HTTP/1.1\r\n"));
  std::this_thread::sleep_for(50ms);
  svc.stop();
  EXPECT_TRUE(idle.closed_within(1s));
  EXPECT_TRUE(half.closed_within(1s));
  EXPECT_EQ(svc.connections(), 0u);
}

}  // namespace
}  // namespace clickagg::http
