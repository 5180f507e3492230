// A sink stand-in for channel tests: a real ROUTER socket on its own thread that commits
// messages in seq order like the real sink, and can misbehave on purpose: drop the first
// delivery of some messages, hold acknowledgements back, restart (close and rebind).
#pragma once
#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "host/emit/channel_frames.h"
#include "host/emit/envelope_codec.h"

namespace clickagg::testing {

struct FakeSinkOptions {
  uint64_t committed = 0;         // what an earlier life of the sink already committed
  uint64_t drop_every = 0;        // drop the first delivery of every seq divisible by this
  int ack_delay_ms = 0;           // acknowledge at most this often
  uint64_t restart_after = 0;     // close and rebind once, after committing this seq
  int restart_pause_ms = 200;
  size_t max_in_flight = 0;       // when set, flags any seq beyond committed + this
};

class FakeSink {
 public:
  FakeSink(zmq::context_t& ctx, std::string endpoint, FakeSinkOptions opt)
      : ctx_(ctx), endpoint_(std::move(endpoint)), opt_(opt), committed_(opt.committed) {
    thread_ = std::thread([this] { run(); });
  }
  ~FakeSink() {
    stop_ = true;
    thread_.join();
  }

  std::vector<uint64_t> applied() {
    std::lock_guard lock(mu_);
    return applied_;
  }
  uint64_t committed() const { return committed_; }
  uint64_t hellos() const { return hellos_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t restarts() const { return restarts_; }
  bool bound_violated() const { return bound_violated_; }

 private:
  zmq::socket_t open() {
    for (;;) {
      zmq::socket_t s(ctx_, zmq::socket_type::router);
      s.set(zmq::sockopt::linger, 0);
      s.set(zmq::sockopt::router_handover, true);
      try {
        s.bind(endpoint_);
        return s;
      } catch (const zmq::error_t&) {
        // The previous socket's port is released asynchronously.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }

  void ack(zmq::socket_t& s, const zmq::message_t& peer) {
    s.send(zmq::buffer(peer.to_string_view()), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    s.send(zmq::buffer(emit::kAckFrame), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    s.send(zmq::buffer(emit::encode_ack({"producer-a", committed_})), zmq::send_flags::dontwait);
  }

  void run() {
    zmq::socket_t s = open();
    std::set<uint64_t> dropped;
    auto last_ack = std::chrono::steady_clock::now();
    bool ack_due = false;
    bool restarted = false;
    zmq::message_t peer;
    while (!stop_) {
      zmq::pollitem_t items[] = {{s.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, std::chrono::milliseconds(5));
      std::vector<zmq::message_t> frames;
      for (;;) {
        frames.clear();
        zmq::message_t m;
        if (!s.recv(m, zmq::recv_flags::dontwait)) break;
        bool more = m.more();
        frames.push_back(std::move(m));
        while (more) {
          zmq::message_t p;
          (void)s.recv(p);
          more = p.more();
          frames.push_back(std::move(p));
        }
        if (frames.size() != 3) continue;
        peer.copy(frames[0]);
        if (frames[1].to_string_view() == emit::kHelloFrame) {
          ++hellos_;
          ack(s, peer);
          continue;
        }
        auto env = emit::decode(frames[2].to_string_view());
        if (!env) continue;
        const uint64_t seq = env->seq;
        if (opt_.max_in_flight && seq > committed_ + opt_.max_in_flight) bound_violated_ = true;
        ack_due = true;
        if (seq <= committed_) {
          ++duplicates_;
        } else if (seq == committed_ + 1) {
          if (opt_.drop_every && seq % opt_.drop_every == 0 && dropped.insert(seq).second) continue;
          std::lock_guard lock(mu_);
          applied_.push_back(seq);
          committed_ = seq;
        }  // else a gap: discarded, the producer resends
      }
      const auto now = std::chrono::steady_clock::now();
      if (ack_due && now - last_ack >= std::chrono::milliseconds(opt_.ack_delay_ms)) {
        ack(s, peer);
        ack_due = false;
        last_ack = now;
      }
      if (opt_.restart_after && !restarted && committed_ >= opt_.restart_after) {
        s.close();
        std::this_thread::sleep_for(std::chrono::milliseconds(opt_.restart_pause_ms));
        s = open();
        restarted = true;
        ++restarts_;
      }
    }
  }

  zmq::context_t& ctx_;
  std::string endpoint_;
  FakeSinkOptions opt_;
  std::atomic<uint64_t> committed_;
  std::atomic<uint64_t> hellos_{0}, duplicates_{0}, restarts_{0};
  std::atomic<bool> bound_violated_{false};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<uint64_t> applied_;
  std::thread thread_;
};

}  // namespace clickagg::testing
