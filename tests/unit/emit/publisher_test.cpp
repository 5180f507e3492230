#include "host/emit/publisher.h"

#include <gtest/gtest.h>
#include <zmq.hpp>

#include <set>
#include <thread>

#include "free_endpoint.h"
#include "host/emit/curve.h"
#include "host/emit/envelope_codec.h"

namespace clickagg::emit {
namespace {

using std::chrono::milliseconds;

struct Received {
  std::string topic;
  Envelope env;
};

std::optional<Received> receive(zmq::socket_t& sub, milliseconds timeout) {
  zmq::pollitem_t items[] = {{sub.handle(), 0, ZMQ_POLLIN, 0}};
  if (zmq::poll(items, 1, timeout) == 0) return std::nullopt;
  zmq::message_t topic, body;
  EXPECT_TRUE(sub.recv(topic));
  EXPECT_TRUE(topic.more()) << "a result is two frames";
  EXPECT_TRUE(sub.recv(body));
  EXPECT_FALSE(body.more()) << "a result is two frames";
  std::string err;
  auto env = decode(body.to_string_view(), &err);
  EXPECT_TRUE(env) << err;
  if (!env) return std::nullopt;
  return Received{topic.to_string(), std::move(*env)};
}

TEST(Publisher, SubscribersGetTheTopicsTheyAskFor) {
  zmq::context_t ctx;
  const std::string ep = testing::free_tcp_endpoint();
  Publisher pub(ctx, ep);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::linger, 0);
  sub.set(zmq::sockopt::subscribe, "topn.5.");
  sub.connect(ep);

  const std::vector<Body> bodies = {
      make_window(26'824'320, {{"ad1", 0, 3}}, false),
      make_list(26'824'320, 1, 0, false, {{"ad1", 3}}),
      make_list(26'824'320, 5, 0, false, {{"ad1", 3}}),
      make_list(26'824'320, 5, 12, true, {{"ad2", 1}}),
      LateRecord{1, 9, "ad3", 0, 0},
  };
  uint64_t seq = 0;
  auto publish_all = [&] {
    for (const Body& b : bodies) {
      Envelope env{"agg", ++seq, b};
      pub.publish(topic_of(b), encode(env));
    }
  };
  // A subscription takes effect asynchronously: publish until the first message arrives.
  std::optional<Received> first;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!first && std::chrono::steady_clock::now() < deadline) {
    publish_all();
    first = receive(sub, milliseconds(50));
  }
  ASSERT_TRUE(first);
  // Drain what is queued, then one clean round.
  while (receive(sub, milliseconds(100))) {
  }
  const uint64_t before = seq;
  publish_all();
  std::set<std::string> topics;
  while (auto r = receive(sub, milliseconds(300))) {
    EXPECT_GT(r->env.seq, before);
    EXPECT_EQ(r->topic, topic_of(r->env.body));
    topics.insert(r->topic);
    const auto& list = std::get<TopNList>(r->env.body);
    EXPECT_EQ(list.window, 5u);
  }
  EXPECT_EQ(topics, (std::set<std::string>{"topn.5.0", "topn.5.12"}));
  EXPECT_EQ(pub.published(), seq);
}

// A subscriber in its own context (as in its own process), with CURVE keys or none; whether
// it receives anything while the publisher keeps publishing for `wait`.
bool subscriber_receives(Publisher& pub, const std::string& ep, const CurveClient* keys, milliseconds wait) {
  zmq::context_t ctx;
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::linger, 0);
  sub.set(zmq::sockopt::subscribe, "");
  if (keys != nullptr) make_curve_client(sub, *keys);
  sub.connect(ep);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  uint64_t seq = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const Body b = make_list(26'824'320, 1, 0, false, {{"ad1", 3}});
    pub.publish(topic_of(b), encode(Envelope{"agg", ++seq, b}));
    if (receive(sub, milliseconds(50))) return true;
  }
  return false;
}

TEST(Publisher, CurveSubscribersNeedItsKeyAndOneItAdmits) {
  const CurveKeyPair server = generate_curve_keys(), admitted = generate_curve_keys(), stranger = generate_curve_keys();
  const CurveClient good{admitted, server.public_key}, unknown{stranger, server.public_key};
  {
    // Any subscriber that knows the publisher's public key.
    zmq::context_t ctx;
    const std::string ep = testing::free_tcp_endpoint();
    const CurveServer keys{server, {}};
    Publisher pub(ctx, ep, &keys);
    EXPECT_TRUE(subscriber_receives(pub, ep, &unknown, milliseconds(5000)));
    EXPECT_FALSE(subscriber_receives(pub, ep, nullptr, milliseconds(1000))) << "a subscriber without CURVE";
    const CurveClient wrong_server{admitted, stranger.public_key};
    EXPECT_FALSE(subscriber_receives(pub, ep, &wrong_server, milliseconds(1000))) << "another server key";
  }
  {
    // Only admitted subscribers.
    zmq::context_t ctx;
    const std::string ep = testing::free_tcp_endpoint();
    const CurveServer keys{server, {admitted.public_key}};
    Publisher pub(ctx, ep, &keys);
    EXPECT_TRUE(subscriber_receives(pub, ep, &good, milliseconds(5000)));
    EXPECT_FALSE(subscriber_receives(pub, ep, &unknown, milliseconds(1000))) << "a key not admitted";
  }
  // Beyond this host: keys or --insecure.
  zmq::context_t ctx;
  const std::string port = testing::free_tcp_endpoint().substr(16);
  EXPECT_THROW(Publisher(ctx, "tcp://0.0.0.0:" + port), std::runtime_error);
  Publisher insecure(ctx, "tcp://0.0.0.0:" + port, nullptr, /*insecure=*/true);
}

TEST(Publisher, NeverBlocksWithoutSubscribersOrWithASlowOne) {
  zmq::context_t ctx;
  const std::string ep = testing::free_tcp_endpoint();
  Publisher pub(ctx, ep);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);  // subscribed but never reading
  sub.set(zmq::sockopt::linger, 0);
  sub.set(zmq::sockopt::rcvhwm, 10);
  sub.set(zmq::sockopt::subscribe, "");
  sub.connect(ep);
  std::this_thread::sleep_for(milliseconds(100));
  const std::string body = encode(Envelope{"agg", 1, make_window(1, {{std::string(1000, 'a'), 0, 1}}, false)});
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 300'000; ++i) pub.publish("counts.197001010001", body);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
  EXPECT_EQ(pub.published(), 300'000u);
}

TEST(Publisher, ReportsABadEndpoint) {
  zmq::context_t ctx;
  EXPECT_THROW(Publisher(ctx, "nonsense://x"), std::runtime_error);
}

}  // namespace
}  // namespace clickagg::emit
