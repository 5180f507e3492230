#include "host/emit/zap_authenticator.h"

#include <zmq.hpp>

#include <cstdio>
#include <stdexcept>
#include <vector>

#include "host/common/log.h"

namespace clickagg::emit {

namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

std::string binary_key(const std::string& z85) {
  uint8_t bin[32];
  if (z85.size() != 40 || zmq_z85_decode(bin, z85.c_str()) == nullptr)
    throw std::invalid_argument("not a Z85 CURVE key: " + z85);
  return std::string(reinterpret_cast<const char*>(bin), sizeof bin);
}

std::string z85_of(const std::string& bin) {
  if (bin.size() != 32) return "(no key)";
  char out[41];
  zmq_z85_encode(out, reinterpret_cast<const uint8_t*>(bin.data()), bin.size());
  return out;
}

}  // namespace

ZapAuthenticator::ZapAuthenticator(zmq::context_t& ctx, std::map<std::string, std::set<std::string>> allowed) {
  for (const auto& [domain, keys] : allowed)
    for (const std::string& k : keys) allowed_[domain].insert(binary_key(k));
  sock_ = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::rep);
  sock_->set(zmq::sockopt::linger, 0);
  try {
    sock_->bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error(std::string("cannot start the CURVE authenticator: ") + e.what());
  }
  thread_ = std::thread([this] { run(); });
}

ZapAuthenticator::~ZapAuthenticator() {
  stop_ = true;
  thread_.join();
}

void ZapAuthenticator::run() {
  zmq::socket_t& sock = *sock_;
  std::vector<zmq::message_t> frames;
  while (!stop_.load()) {
    zmq::pollitem_t items[] = {{sock.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      if (zmq::poll(items, 1, std::chrono::milliseconds(100)) <= 0) continue;
    } catch (const zmq::error_t&) {
      continue;  // a signal
    }
    frames.clear();
    for (;;) {
      zmq::message_t m;
      if (!sock.recv(m, zmq::recv_flags::dontwait)) break;
      const bool more = m.more();
      frames.push_back(std::move(m));
      if (!more) break;
    }
    // version, request id, domain, address, identity, mechanism, credentials...
    if (frames.size() < 6) continue;
    const std::string version = frames[0].to_string(), request_id = frames[1].to_string();
    const std::string domain = frames[2].to_string(), address = frames[3].to_string();
    const std::string mechanism = frames[5].to_string();
    const std::string key = frames.size() > 6 ? frames[6].to_string() : std::string();
    const auto it = allowed_.find(domain);
    const bool ok = version == "1.0" && mechanism == "CURVE" && it != allowed_.end() && it->second.count(key) != 0;
    if (ok) {
      ++admitted_;
    } else if (refused_++ % 100 == 0) {
      log::warn("curve", "refused a %s client from %s (key %s) on %s; %llu refused so far",
                mechanism.c_str(), address.c_str(), z85_of(key).c_str(), domain.c_str(),
                static_cast<unsigned long long>(refused_.load()));
    }
    const std::string reply[] = {"1.0", request_id, ok ? "200" : "400", ok ? "OK" : "key not admitted",
                                 ok ? z85_of(key) : "", ""};
    for (size_t i = 0; i < 6; ++i)
      (void)sock.send(zmq::buffer(reply[i]), i + 1 < 6 ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

}  // namespace clickagg::emit
