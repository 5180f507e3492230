// Delivery design. The outbox (every unacknowledged message, in seq order) is the only copy
// that matters: ZeroMQ is used as a best-effort pipe and nothing is assumed delivered until
// the sink acknowledges it. Hence:
//  - ZMQ_IMMEDIATE=1: while no connection to the sink is up, a send fails (EAGAIN) instead of
//    queueing in a pipe to a peer that may never come back; the message stays "unsent" in
//    the outbox and goes out as soon as the connection is up. Without it, copies would pile
//    up in the pipe, then arrive after reconnection in a burst alongside our own resends.
//  - Every send is non-blocking; the only blocking is ours (send() waiting for room under
//    max_in_flight), during which acknowledgements keep being serviced.
//  - ZMQ_SNDHWM is twice max_in_flight (plus room for HELLOs) so the pipe never refuses a
//    message in normal operation, even while a resend overlaps copies still in the pipe.
//  - ZMQ_LINGER=0: on close, unacknowledged messages are dropped; they are either replayed
//    by the aggregator (batch log) or were never covered by a checkpoint.
//  - A socket monitor reports each completed handshake: a new connection means whatever
//    was in the old one may be lost, so everything unacknowledged is sent again and a HELLO
//    asks the sink for its committed seq. Heartbeats detect a silently dead peer.
//  - A timer covers every other loss (messages dropped by a sink that restarted before the
//    connection noticed, a gap the sink refused): when no acknowledgement advanced for
//    `resend_after` while messages are in flight, everything unacknowledged is sent again,
//    backing off up to 8x so a slow sink is not flooded with copies.
#include "host/emit/acked_channel.h"

#include <zmq.h>

#include <zmq.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "host/common/log.h"
#include "host/emit/channel_frames.h"
#include "host/emit/curve.h"

namespace clickagg::emit {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kHeartbeatIvlMs = 1000;
constexpr int kHeartbeatTimeoutMs = 5000;
constexpr int kReconnectIvlMaxMs = 1000;
constexpr int kMaxBackoff = 8;
constexpr auto kBlockedWarnEvery = std::chrono::seconds(10);

std::string monitor_address() {
  static std::atomic<uint64_t> next{0};
  return "inproc://clickagg-acked-channel-monitor-" + std::to_string(next.fetch_add(1));
}

}  // namespace

struct AckedChannel::Impl {
  struct Outgoing {
    uint64_t seq;
    std::string bytes;
    bool sent_once = false;
  };

  Impl(zmq::context_t& ctx, const std::string& endpoint_, const std::string& producer_,
       size_t max_in_flight_, milliseconds resend_after_, const CurveClient* curve)
      : sock(ctx, zmq::socket_type::dealer),
        monitor(ctx, zmq::socket_type::pair),
        endpoint(endpoint_),
        producer(producer_),
        max_in_flight(std::max<size_t>(max_in_flight_, 1)),
        resend_after(std::max(resend_after_, milliseconds(1))),
        resend_interval(resend_after) {
    if (producer.empty() || producer.size() > 255 || producer[0] == '\0')
      throw std::invalid_argument("producer id must be 1 to 255 bytes and not start with a NUL byte");
    const size_t hwm = std::min<size_t>(max_in_flight * 2 + 64, INT_MAX);
    sock.set(zmq::sockopt::routing_id, producer);
    sock.set(zmq::sockopt::sndhwm, static_cast<int>(hwm));
    sock.set(zmq::sockopt::rcvhwm, static_cast<int>(hwm));
    sock.set(zmq::sockopt::linger, 0);
    sock.set(zmq::sockopt::immediate, true);
    sock.set(zmq::sockopt::heartbeat_ivl, kHeartbeatIvlMs);
    sock.set(zmq::sockopt::heartbeat_timeout, kHeartbeatTimeoutMs);
    sock.set(zmq::sockopt::reconnect_ivl_max, kReconnectIvlMaxMs);
    if (curve != nullptr) make_curve_client(sock, *curve);

    const std::string addr = monitor_address();
    if (zmq_socket_monitor(sock.handle(), addr.c_str(),
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0)
      throw zmq::error_t();
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(addr);
    sock.connect(endpoint);
    stall_since = Clock::now();
  }

  ~Impl() { zmq_socket_monitor(sock.handle(), nullptr, 0); }

  const std::atomic<bool>* stop = nullptr;

  void send(uint64_t seq, std::string bytes) {
    if (started && seq != last_seq + 1)
      throw std::invalid_argument("acked channel: seq " + std::to_string(seq) + " after " +
                                  std::to_string(last_seq) + " would leave a gap");
    started = true;
    last_seq = seq;
    if (seq <= acked) return;  // the sink already committed it (it told us in a HELLO answer)
    wait_for_room();
    if (outbox.empty()) stall_since = Clock::now();
    outbox.push_back(Outgoing{seq, std::move(bytes)});
    pump();
  }

  void service(milliseconds timeout) {
    pump();
    zmq::pollitem_t items[] = {{sock.handle(), 0, ZMQ_POLLIN, 0}, {monitor.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, timeout);
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;  // a signal: return early, the caller checks its stop flag
    }
    read_monitor();
    read_acks();
    check_stall();
    pump();
  }

  bool drain(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    service(milliseconds(0));
    while (!outbox.empty()) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      service(std::min(left, milliseconds(50)));
    }
    return true;
  }

  void wait_for_room() {
    if (outbox.size() < max_in_flight) return;
    const auto t0 = Clock::now();
    auto warned = t0;
    while (outbox.size() >= max_in_flight) {
      if (stop && stop->load()) {
        stats.blocked_ms += static_cast<uint64_t>(std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count());
        throw ChannelStopped();
      }
      service(milliseconds(50));
      const auto now = Clock::now();
      if (now - warned >= kBlockedWarnEvery) {
        log::warn("channel", "waiting for the sink at %s: %zu messages unacknowledged "
                  "(acknowledged up to %" PRIu64 ")",
                  endpoint.c_str(), outbox.size(), acked);
        warned = now;
      }
    }
    stats.blocked_ms += static_cast<uint64_t>(
        std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count());
  }

  // Hands unsent messages to ZeroMQ until it refuses (no connection, pipe full).
  void pump() {
    if (hello_pending) {
      if (!try_send(kHelloFrame, producer)) return;
      hello_pending = false;
    }
    while (unsent_from < outbox.size()) {
      Outgoing& m = outbox[unsent_from];
      if (!try_send(kMsgFrame, m.bytes)) return;
      if (m.sent_once) {
        ++stats.resent;
      } else {
        m.sent_once = true;
        ++stats.sent;
      }
      ++unsent_from;
    }
  }

  bool try_send(std::string_view head, std::string_view body) {
    try {
      if (!sock.send(zmq::buffer(head), zmq::send_flags::sndmore | zmq::send_flags::dontwait))
        return false;
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return false;
      throw;
    }
    // The rest of a multipart message is always accepted once its first frame was.
    (void)sock.send(zmq::buffer(body), zmq::send_flags::dontwait);
    return true;
  }

  void read_acks() {
    while (recv_frames(sock, frames)) {
      if (frames.size() != 2 || frames[0].to_string_view() != kAckFrame) continue;
      const std::optional<Ack> ack = decode_ack(frames[1].to_string_view());
      if (!ack || ack->producer != producer) continue;
      on_ack(ack->seq);
    }
  }

  void on_ack(uint64_t seq) {
    if (seq < acked) {
      if (seq != regress_warned) {
        log::error("channel", "the sink at %s reports committed seq %" PRIu64
                   " below the acknowledged %" PRIu64 "; its database lost committed results",
                   endpoint.c_str(), seq, acked);
        regress_warned = seq;
      }
      return;
    }
    if (!outbox.empty() && seq + 1 < outbox.front().seq && seq != gap_warned) {
      // Messages before our oldest one were covered by a checkpoint, so they were
      // acknowledged once; a sink that no longer has them cannot get them from us.
      log::error("channel", "the sink at %s committed only up to seq %" PRIu64
                 " but this producer resumes at %" PRIu64,
                 endpoint.c_str(), seq, outbox.front().seq);
      gap_warned = seq;
    }
    if (seq == acked) return;
    acked = seq;
    stats.acked = seq;
    size_t dropped = 0;
    while (!outbox.empty() && outbox.front().seq <= seq) {
      outbox.pop_front();
      ++dropped;
    }
    unsent_from -= std::min(unsent_from, dropped);
    stall_since = Clock::now();
    resend_interval = resend_after;
  }

  void read_monitor() {
    while (recv_frames(monitor, frames)) {
      if (frames.empty() || frames[0].size() < sizeof(uint16_t)) continue;
      uint16_t event = 0;
      std::memcpy(&event, frames[0].data(), sizeof event);
      if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        // The first connection carries everything sent so far; after a reconnection, what
        // the old one carried may be lost.
        if (++connections == 1) continue;
        log::info("channel", "reconnected to the sink at %s; resending %zu messages",
                  endpoint.c_str(), outbox.size());
        resend_all();
      } else if (event == ZMQ_EVENT_DISCONNECTED) {
        log::warn("channel", "lost the connection to the sink at %s", endpoint.c_str());
      } else if (refusals++ % 20 == 0) {  // keeps retrying: a sink may be given the key later
        log::error("channel", "the sink at %s refused the handshake (%s); is this aggregator's "
                   "public key among the sink's --curve-allow keys, and --sink-public the sink's?",
                   endpoint.c_str(), event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "key not admitted" : "CURVE expected");
      }
    }
  }

  void check_stall() {
    if (outbox.empty()) return;
    const auto now = Clock::now();
    if (now - stall_since < resend_interval) return;
    resend_all();
    stall_since = now;
    resend_interval = std::min(resend_interval * 2, resend_after * kMaxBackoff);
  }

  // Everything unacknowledged goes out again, after a HELLO so the sink answers with where
  // it stands even if it has nothing new to commit.
  void resend_all() {
    unsent_from = 0;
    hello_pending = true;
  }

  zmq::socket_t sock;
  zmq::socket_t monitor;
  std::string endpoint;
  std::string producer;
  size_t max_in_flight;
  milliseconds resend_after;
  milliseconds resend_interval;

  std::deque<Outgoing> outbox;  // unacknowledged, in seq order
  size_t unsent_from = 0;       // outbox[unsent_from..] not yet handed to ZeroMQ since the last resend
  bool hello_pending = true;
  bool started = false;
  uint64_t last_seq = 0;
  uint64_t acked = 0;
  uint64_t regress_warned = UINT64_MAX;
  uint64_t gap_warned = UINT64_MAX;
  uint64_t connections = 0;
  uint64_t refusals = 0;
  Clock::time_point stall_since;
  ChannelStats stats;
  std::vector<zmq::message_t> frames;
};

AckedChannel::AckedChannel(zmq::context_t& ctx, const std::string& sink_endpoint, const std::string& producer,
                           size_t max_in_flight, std::chrono::milliseconds resend_after, const CurveClient* curve)
    : impl_(std::make_unique<Impl>(ctx, sink_endpoint, producer, max_in_flight, resend_after, curve)) {}

AckedChannel::~AckedChannel() = default;

void AckedChannel::send(uint64_t seq, std::string envelope) { impl_->send(seq, std::move(envelope)); }
void AckedChannel::set_stop_flag(const std::atomic<bool>* stop) { impl_->stop = stop; }
void AckedChannel::service(std::chrono::milliseconds timeout) { impl_->service(timeout); }
bool AckedChannel::drain(std::chrono::milliseconds timeout) { return impl_->drain(timeout); }
uint64_t AckedChannel::last_seq() const { return impl_->last_seq; }
uint64_t AckedChannel::acked() const { return impl_->acked; }
size_t AckedChannel::in_flight() const { return impl_->outbox.size(); }

ChannelStats AckedChannel::stats() const {
  ChannelStats s = impl_->stats;
  s.in_flight = impl_->outbox.size();
  return s;
}

}  // namespace clickagg::emit
