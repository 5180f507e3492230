// The aggregator's side of the acknowledged channel to the sink (ZeroMQ DEALER connecting to
// the sink's ROUTER). Messages carry gap-free sequence numbers; the sink commits them in
// order and acknowledges the highest committed one. Unacknowledged messages stay in an
// outbox and are sent again when acknowledgements stall (sink restarted, connection lost);
// the sink ignores what it already committed. At most `max_in_flight` messages are
// unacknowledged: send() blocks (servicing acks) beyond that, which is the backpressure that
// slows consumption when the sink lags.
//
// Frames, aggregator -> sink: ["MSG", <Envelope bytes>] or ["HELLO", <producer>];
// sink -> aggregator: ["ACK", <Ack bytes>].
#pragma once
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

namespace zmq {
class context_t;
}

namespace clickagg::emit {

struct CurveClient;

// Thrown by send() when the stop flag is raised while it waits for room.
struct ChannelStopped : std::runtime_error {
  ChannelStopped() : std::runtime_error("acked channel: stopped while waiting for the sink") {}
};

struct ChannelStats {
  uint64_t sent = 0;
  uint64_t resent = 0;
  uint64_t acked = 0;          // highest acknowledged seq
  uint64_t blocked_ms = 0;     // time send() spent waiting for room (backpressure)
  size_t in_flight = 0;
};

// Results the sink may leave unacknowledged, per producer, unless configured otherwise.
inline constexpr size_t kDefaultMaxInFlight = 10'000;

class AckedChannel {
 public:
  // With `curve`, the channel is a CURVE client (curve.h): encrypted, and admitted by the sink
  // only under a key it knows.
  AckedChannel(zmq::context_t& ctx, const std::string& sink_endpoint, const std::string& producer,
               size_t max_in_flight = kDefaultMaxInFlight, std::chrono::milliseconds resend_after = std::chrono::milliseconds(2000),
               const CurveClient* curve = nullptr);
  ~AckedChannel();

  // A flag that, once true, makes a send() blocked by backpressure give up (ChannelStopped)
  // instead of waiting for a sink that may never come back.
  void set_stop_flag(const std::atomic<bool>* stop);

  // Queues and sends one encoded Envelope whose seq is `seq` (must be last_seq()+1, or any
  // value for the first message after start).
  void send(uint64_t seq, std::string envelope);
  // Reads acknowledgements for up to `timeout` and resends stalled messages.
  void service(std::chrono::milliseconds timeout);
  // Services until everything sent is acknowledged or `timeout` passes; true when drained.
  bool drain(std::chrono::milliseconds timeout);

  uint64_t last_seq() const;
  uint64_t acked() const;
  size_t in_flight() const;
  ChannelStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clickagg::emit
