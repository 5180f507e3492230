#include "host/emit/publisher.h"

#include <zmq.hpp>

#include <stdexcept>

namespace clickagg::emit {

namespace {
// Per subscriber: about a few minutes of results at a busy rate; beyond that a subscriber is
// too slow to keep up and PUB drops its messages rather than holding ours back.
constexpr int kSendHwm = 100'000;
}  // namespace

struct Publisher::Impl {
  Impl(zmq::context_t& ctx, const std::string& endpoint) : sock(ctx, zmq::socket_type::pub) {
    sock.set(zmq::sockopt::sndhwm, kSendHwm);
    sock.set(zmq::sockopt::linger, 0);
    try {
      sock.bind(endpoint);
    } catch (const zmq::error_t& e) {
      throw std::runtime_error("cannot bind the PUB socket to " + endpoint + ": " + e.what());
    }
  }

  zmq::socket_t sock;
  uint64_t published = 0;
};

Publisher::Publisher(zmq::context_t& ctx, const std::string& bind_endpoint)
    : impl_(std::make_unique<Impl>(ctx, bind_endpoint)) {}

Publisher::~Publisher() = default;

void Publisher::publish(const std::string& topic, const std::string& envelope) {
  // PUB never blocks (it drops at a subscriber's high-water mark); dontwait makes that
  // explicit, and a multipart message is delivered whole or not at all.
  if (!impl_->sock.send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return;
  (void)impl_->sock.send(zmq::buffer(envelope), zmq::send_flags::dontwait);
  ++impl_->published;
}

uint64_t Publisher::published() const { return impl_->published; }

}  // namespace clickagg::emit
