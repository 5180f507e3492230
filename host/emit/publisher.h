// The PUB socket for downstream subscribers: every result, topic frame then Envelope frame.
// Fire and forget: a slow subscriber loses messages at its high-water mark, never blocks us.
#pragma once
#include <memory>
#include <string>

namespace zmq {
class context_t;
}

namespace clickagg::emit {

struct CurveServer;
class ZapAuthenticator;

class Publisher {
 public:
  // With `curve`, a CURVE server (curve.h): subscribers need its public key, and when
  // curve->allowed is not empty, one of those keys of their own. Without it, binding beyond
  // this host needs `insecure` (check_exposure). Throws std::runtime_error.
  Publisher(zmq::context_t& ctx, const std::string& bind_endpoint, const CurveServer* curve = nullptr,
            bool insecure = false);
  ~Publisher();
  void publish(const std::string& topic, const std::string& envelope);
  uint64_t published() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clickagg::emit
