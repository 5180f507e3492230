#include "host/sink/sink_service.h"

#include <zmq.hpp>

#include <cerrno>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "host/common/log.h"
#include "host/emit/channel_frames.h"
#include "host/emit/envelope_codec.h"
#include "host/emit/zap_authenticator.h"
#include "host/sink/sequencer.h"
#include "host/sink/sink_probe.h"

namespace clickagg::sink {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Bounded memory: beyond this many queued messages TCP pushes back on the aggregators,
// which the acknowledged channel turns into backpressure.
constexpr int kRecvHwm = 100'000;
constexpr auto kRetryAfterFailure = milliseconds(500);
constexpr const char* kZapDomain = "clickagg-sink";

// False on timeout or when a signal interrupted the wait.
bool wait_readable(zmq::socket_t& s, milliseconds timeout) {
  zmq::pollitem_t items[] = {{s.handle(), 0, ZMQ_POLLIN, 0}};
  try {
    return zmq::poll(items, 1, timeout) > 0;
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    throw;
  }
}

}  // namespace

struct SinkService::Impl {
  Impl(zmq::context_t& ctx, store::AggregateStore& store_, SinkOptions opt_)
      : zap(start_authenticator(ctx, opt_)),
        sock(ctx, zmq::socket_type::router),
        store(store_),
        opt(std::move(opt_)),
        metrics(opt.metrics ? opt.metrics : std::make_shared<metrics::MetricsRegistry>()),
        probe(*metrics),
        seq([this](const std::string& producer) { return store.committed_seq(producer); }) {
    sock.set(zmq::sockopt::rcvhwm, kRecvHwm);
    sock.set(zmq::sockopt::linger, 0);
    // A restarted aggregator reconnects under the same id before the old connection is
    // noticed dead: the new one takes over.
    sock.set(zmq::sockopt::router_handover, true);
    if (opt.curve) emit::make_curve_server(sock, *opt.curve, kZapDomain);
    try {
      sock.bind(opt.listen);
    } catch (const zmq::error_t& e) {
      throw std::runtime_error("cannot listen on " + opt.listen + ": " + e.what());
    }
  }

  void run_round(milliseconds wait) {
    if (!wait_readable(sock, wait)) return;
    const auto deadline = Clock::now() + opt.max_round_time;
    size_t taken = 0;
    while (taken < opt.max_round_messages && Clock::now() < deadline && emit::recv_frames(sock, frames)) {
      if (frames.size() != 3) continue;
      const std::string_view kind = frames[1].to_string_view();
      if (kind == emit::kHelloFrame) {
        on_hello(frames[0], std::string(frames[2].to_string_view()));
      } else if (kind == emit::kMsgFrame) {
        ++taken;
        probe.pending.set(static_cast<double>(taken));
        on_msg(frames[0], frames[2]);
      }
    }
    if (seq.has_pending()) commit_round();
    probe.pending.set(0);
  }

  void on_hello(const zmq::message_t& peer, const std::string& producer) {
    ++stats.hellos;
    probe.hellos.inc();
    routes[producer] = std::string(peer.to_string_view());
    uint64_t committed = 0;
    try {
      committed = seq.committed(producer);
    } catch (const store::StoreError& e) {
      // Unanswered, the producer's channel says HELLO again, and resends what it has.
      log::warn("sink", "cannot read %s's committed seq, will answer its next HELLO: %s",
                producer.c_str(), e.what());
      return;
    }
    probe.committed(producer, committed);
    send_ack(producer, committed);
  }

  void on_msg(const zmq::message_t& peer, const zmq::message_t& body) {
    ++stats.received;
    probe.received.inc();
    std::string err;
    std::optional<emit::Envelope> env = emit::decode(body.to_string_view(), &err);
    if (!env) {
      probe.malformed.inc();
      if (stats.malformed++ % 1000 == 0)
        log::error("sink", "dropping a malformed message (%s); %llu so far", err.c_str(),
                   static_cast<unsigned long long>(stats.malformed));
      return;
    }
    routes[env->producer] = std::string(peer.to_string_view());
    seq.add(std::move(*env));
  }

  void commit_round() {
    Round round;
    double commit_seconds = -1;
    try {
      round = seq.plan(opt.top_n);  // reads the committed seq of a producer new to it
      probe.rounds.inc();
      if (!round.batch.empty()) {
        if (opt.delay_per_commit.count() > 0) std::this_thread::sleep_for(opt.delay_per_commit);
        const auto t0 = Clock::now();
        store.write(round.batch);
        commit_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      }
    } catch (const store::StoreError& e) {
      // Nothing is acknowledged, so the producers send it all again; try again then.
      ++stats.failed_commits;
      probe.failed_commits.inc();
      log::warn("sink", "commit failed, will retry: %s", e.what());
      std::this_thread::sleep_for(kRetryAfterFailure);
      return;
    }
    if (commit_seconds >= 0) {
      probe.commit_seconds.observe(commit_seconds);
      ++stats.commits;
      probe.commits.inc();
      probe.written(round.batch);
    }
    seq.commit(round);
    stats.applied += round.applied;
    stats.duplicates += round.duplicates;
    stats.beyond_gap += round.beyond_gap;
    probe.applied.inc(round.applied);
    probe.duplicates.inc(round.duplicates);
    probe.beyond_gap.inc(round.beyond_gap);
    for (const auto& [producer, committed] : round.committed) {
      probe.committed(producer, committed);
      send_ack(producer, committed);
    }
  }

  void send_ack(const std::string& producer, uint64_t committed) {
    auto route = routes.find(producer);
    if (route == routes.end()) return;
    const std::string ack = emit::encode_ack({producer, committed});
    // A peer that is gone (or full) misses this ACK; its channel asks again with a HELLO.
    try {
      if (!sock.send(zmq::buffer(route->second), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return;
      (void)sock.send(zmq::buffer(emit::kAckFrame), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      if (sock.send(zmq::buffer(ack), zmq::send_flags::dontwait)) probe.acks.inc();
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR && e.num() != EHOSTUNREACH) throw;
    }
  }

  // Admits the aggregators' keys; up before the socket, which asks it about every handshake.
  static std::unique_ptr<emit::ZapAuthenticator> start_authenticator(zmq::context_t& ctx, const SinkOptions& o) {
    emit::check_exposure("the sink", o.listen, o.curve.has_value(), o.insecure);
    if (!o.curve) return nullptr;
    if (o.curve->allowed.empty())
      throw std::runtime_error("the sink has a CURVE key pair but admits no aggregator: give it their public keys");
    return std::make_unique<emit::ZapAuthenticator>(ctx, std::map<std::string, std::set<std::string>>{{kZapDomain, o.curve->allowed}});
  }

  std::unique_ptr<emit::ZapAuthenticator> zap;
  zmq::socket_t sock;
  store::AggregateStore& store;
  SinkOptions opt;
  std::shared_ptr<metrics::MetricsRegistry> metrics;
  SinkProbe probe;
  Sequencer seq;
  std::map<std::string, std::string> routes;  // producer -> routing id of its connection
  std::vector<zmq::message_t> frames;
  SinkStats stats;
};

SinkService::SinkService(zmq::context_t& ctx, store::AggregateStore& store, SinkOptions opt)
    : impl_(std::make_unique<Impl>(ctx, store, std::move(opt))) {}

SinkService::~SinkService() = default;

void SinkService::run_round(milliseconds wait) { impl_->run_round(wait); }

void SinkService::run(const std::atomic<bool>& stop, const std::function<void(const SinkStats&)>& report,
                      milliseconds report_every) {
  auto last_report = Clock::now();
  while (!stop.load()) {
    impl_->run_round(milliseconds(100));
    if (report && Clock::now() - last_report >= report_every) {
      report(stats());
      last_report = Clock::now();
    }
  }
}

SinkStats SinkService::stats() const {
  SinkStats s = impl_->stats;
  s.committed = impl_->seq.committed_all();
  return s;
}

}  // namespace clickagg::sink
