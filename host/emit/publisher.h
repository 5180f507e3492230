// The PUB socket for downstream subscribers: every result, topic frame then Envelope frame.
// Fire and forget: a slow subscriber loses messages at its high-water mark, never blocks us.
#pragma once
#include <memory>
#include <string>

namespace zmq {
class context_t;
}

namespace clickagg::emit {

class Publisher {
 public:
  Publisher(zmq::context_t& ctx, const std::string& bind_endpoint);
  ~Publisher();
  void publish(const std::string& topic, const std::string& envelope);
  uint64_t published() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clickagg::emit
