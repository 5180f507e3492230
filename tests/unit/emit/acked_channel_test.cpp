#include "host/emit/acked_channel.h"

#include <gtest/gtest.h>

#include <numeric>
#include <thread>

#include "fake_sink.h"
#include "free_endpoint.h"
#include "host/emit/envelope_codec.h"

namespace clickagg::emit {
namespace {

using std::chrono::milliseconds;
using testing::FakeSink;
using testing::FakeSinkOptions;

std::string message(uint64_t seq) {
  return encode(Envelope{"producer-a", seq, LateRecord{0, seq, "ad" + std::to_string(seq), 0, 0}});
}

std::vector<uint64_t> range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> v(last - first + 1);
  std::iota(v.begin(), v.end(), first);
  return v;
}

// Sends first..last, checking the in-flight bound after every send, then drains.
void send_all(AckedChannel& ch, uint64_t first, uint64_t last, size_t max_in_flight) {
  for (uint64_t seq = first; seq <= last; ++seq) {
    ch.send(seq, message(seq));
    ASSERT_LE(ch.in_flight(), max_in_flight) << "after seq " << seq;
    if (seq % 16 == 0) ch.service(milliseconds(0));
  }
  ASSERT_TRUE(ch.drain(std::chrono::seconds(20)));
  EXPECT_EQ(ch.in_flight(), 0u);
  EXPECT_EQ(ch.acked(), last);
  EXPECT_EQ(ch.last_seq(), last);
}

void wait_for(FakeSink& sink, uint64_t committed) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sink.committed() < committed && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(5));
}

TEST(AckedChannel, DeliversEverythingInOrderToAWellBehavedSink) {
  zmq::context_t ctx;
  const std::string ep = testing::free_tcp_endpoint();
  FakeSink sink(ctx, ep, FakeSinkOptions{.max_in_flight = 100});
  AckedChannel ch(ctx, ep, "producer-a", 100, milliseconds(200));
  send_all(ch, 1, 3000, 100);
  EXPECT_EQ(sink.applied(), range(1, 3000));
  EXPECT_FALSE(sink.bound_violated());
  EXPECT_GE(sink.hellos(), 1u);
  EXPECT_EQ(ch.stats().sent, 3000u);
}

TEST(AckedChannel, RecoversFromDropsRestartsAndSlowAcks) {
  zmq::context_t ctx;
  const std::string ep = testing::free_tcp_endpoint();
  constexpr size_t kMax = 64;
  FakeSinkOptions opt;
  opt.drop_every = 331;
  opt.ack_delay_ms = 20;
  opt.restart_after = 1500;
  opt.max_in_flight = kMax;
  FakeSink sink(ctx, ep, opt);
  AckedChannel ch(ctx, ep, "producer-a", kMax, milliseconds(150));
  send_all(ch, 1, 4000, kMax);
  wait_for(sink, 4000);
  // Every seq committed exactly once, in order, despite losses and duplicates on the wire.
  EXPECT_EQ(sink.applied(), range(1, 4000));
  EXPECT_FALSE(sink.bound_violated()) << "more than max_in_flight messages were outstanding";
  EXPECT_EQ(sink.restarts(), 1u);
  const ChannelStats st = ch.stats();
  EXPECT_EQ(st.sent, 4000u);
  EXPECT_GT(st.resent, 0u);
  EXPECT_GT(st.blocked_ms, 0u) << "slow acknowledgements must hold send() back";
  EXPECT_EQ(st.acked, 4000u);
}

TEST(AckedChannel, BlocksWithoutASinkUntilOneAppears) {
  zmq::context_t ctx;
  const std::string ep = testing::free_tcp_endpoint();
  AckedChannel ch(ctx, ep, "producer-a", 8, milliseconds(100));
  for (uint64_t seq = 1; seq <= 8; ++seq) ch.send(seq, message(seq));  // fits: no wait
  EXPECT_EQ(ch.in_flight(), 8u);
  EXPECT_FALSE(ch.drain(milliseconds(300)));
  EXPECT_EQ(ch.in_flight(), 8u);

  std::unique_ptr<FakeSink> sink;
  std::thread starter([&] {
    std::this_thread::sleep_for(milliseconds(300));
    sink = std::make_unique<FakeSink>(ctx, ep, FakeSinkOptions{});
  });
  const auto t0 = std::chrono::steady_clock::now();
  ch.send(9, message(9));  // waits for room: the sink must acknowledge something first
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(200));
  starter.join();
  EXPECT_GT(ch.stats().blocked_ms, 0u);
  ASSERT_TRUE(ch.drain(std::chrono::seconds(10)));
  wait_for(*sink, 9);
  EXPECT_EQ(sink->applied(), range(1, 9));
}

TEST(AckedChannel, AStopRequestEndsTheWaitForAnAbsentSink) {
  zmq::context_t ctx;
  AckedChannel ch(ctx, testing::free_tcp_endpoint(), "producer-a", 2, milliseconds(100));
  std::atomic<bool> stop{false};
  ch.set_stop_flag(&stop);
  ch.send(1, message(1));
  ch.send(2, message(2));
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(200));
    stop = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(ch.send(3, message(3)), ChannelStopped);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(150));
  stopper.join();
  EXPECT_EQ(ch.in_flight(), 2u);  // nothing acknowledged, nothing dropped silently
}

TEST(AckedChannel, SkipsWhatTheSinkAlreadyCommitted) {
  // An aggregator restarted from an older checkpoint re-sends seqs the sink committed.
  zmq::context_t ctx;
  const std::string ep = testing::free_tcp_endpoint();
  FakeSink sink(ctx, ep, FakeSinkOptions{.committed = 500});
  AckedChannel ch(ctx, ep, "producer-a", 1000, milliseconds(200));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ch.acked() == 0 && std::chrono::steady_clock::now() < deadline)
    ch.service(milliseconds(10));  // until the HELLO answer arrives
  EXPECT_EQ(ch.acked(), 500u);
  send_all(ch, 401, 800, 1000);
  EXPECT_EQ(sink.applied(), range(501, 800));
  EXPECT_EQ(ch.stats().sent, 300u) << "seqs the sink already has are not sent";
}

TEST(AckedChannel, ResumesAtALaterSeq) {
  zmq::context_t ctx;
  const std::string ep = testing::free_tcp_endpoint();
  FakeSink sink(ctx, ep, FakeSinkOptions{.committed = 100});
  AckedChannel ch(ctx, ep, "producer-a", 50, milliseconds(200));
  send_all(ch, 101, 400, 50);
  EXPECT_EQ(sink.applied(), range(101, 400));
}

TEST(AckedChannel, RefusesAGapInSequenceNumbers) {
  zmq::context_t ctx;
  AckedChannel ch(ctx, "tcp://127.0.0.1:1", "producer-a", 10, milliseconds(100));
  ch.send(5, message(5));
  EXPECT_THROW(ch.send(7, message(7)), std::invalid_argument);
  EXPECT_EQ(ch.last_seq(), 5u);
}

TEST(AckedChannel, RefusesAnUnusableProducerId) {
  zmq::context_t ctx;
  EXPECT_THROW(AckedChannel(ctx, "tcp://127.0.0.1:1", "", 10), std::invalid_argument);
  EXPECT_THROW(AckedChannel(ctx, "tcp://127.0.0.1:1", std::string(256, 'x'), 10), std::invalid_argument);
}

}  // namespace
}  // namespace clickagg::emit
