#include "host/emit/publisher.h"

#include <zmq.hpp>

#include <map>
#include <set>
#include <stdexcept>

#include "host/emit/curve.h"
#include "host/emit/zap_authenticator.h"

namespace clickagg::emit {

namespace {
// Per subscriber: about a few minutes of results at a busy rate; beyond that a subscriber is
// too slow to keep up and PUB drops its messages rather than holding ours back.
constexpr int kSendHwm = 100'000;
constexpr const char* kPubDomain = "clickagg-pub";
}  // namespace

struct Publisher::Impl {
  Impl(zmq::context_t& ctx, const std::string& endpoint, const CurveServer* curve, bool insecure)
      : sock(ctx, zmq::socket_type::pub) {
    check_exposure("the PUB socket", endpoint, curve != nullptr, insecure);
    sock.set(zmq::sockopt::sndhwm, kSendHwm);
    sock.set(zmq::sockopt::linger, 0);
    if (curve != nullptr) {
      if (!curve->allowed.empty())
        zap = std::make_unique<ZapAuthenticator>(ctx, std::map<std::string, std::set<std::string>>{{kPubDomain, curve->allowed}});
      make_curve_server(sock, *curve, kPubDomain);
    }
    try {
      sock.bind(endpoint);
    } catch (const zmq::error_t& e) {
      throw std::runtime_error("cannot bind the PUB socket to " + endpoint + ": " + e.what());
    }
  }

  std::unique_ptr<ZapAuthenticator> zap;  // before the socket: it answers its handshakes
  zmq::socket_t sock;
  uint64_t published = 0;
};

Publisher::Publisher(zmq::context_t& ctx, const std::string& bind_endpoint, const CurveServer* curve, bool insecure)
    : impl_(std::make_unique<Impl>(ctx, bind_endpoint, curve, insecure)) {}

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
