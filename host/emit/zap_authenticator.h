// The ZeroMQ Authentication Protocol (RFC 27) handler of a process: libzmq asks it, for every
// CURVE handshake on a socket of this context, whether the client's public key may connect.
// It admits the keys listed for the socket's ZAP domain and refuses everything else (another
// mechanism, an unknown domain, an unknown key), logging each refusal.
//
//   ZapAuthenticator zap(ctx, {{"clickagg-sink", {aggregator_public_key}}});
//   make_curve_server(router, keys, "clickagg-sink");  // after zap is up
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

namespace zmq {
class context_t;
class socket_t;
}

namespace clickagg::emit {

class ZapAuthenticator {
 public:
  // domain -> admitted public keys (Z85). Binds inproc://zeromq.zap.01 before returning; throws
  // std::runtime_error when another handler holds it.
  ZapAuthenticator(zmq::context_t& ctx, std::map<std::string, std::set<std::string>> allowed);
  ~ZapAuthenticator();
  ZapAuthenticator(const ZapAuthenticator&) = delete;
  ZapAuthenticator& operator=(const ZapAuthenticator&) = delete;

  uint64_t admitted() const { return admitted_.load(); }
  uint64_t refused() const { return refused_.load(); }

 private:
  void run();

  std::map<std::string, std::set<std::string>> allowed_;  // binary keys (32 bytes)
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> admitted_{0}, refused_{0};
  std::unique_ptr<zmq::socket_t> sock_;
  std::thread thread_;
};

}  // namespace clickagg::emit
