// A group member's close against a real broker, now that close() unsubscribes and serves the
// revoke itself before leaving: the rebalance function hears one revoke of everything it was
// assigned, its unassign succeeds, close() returns promptly, and a member joining afterwards
// is given every partition without waiting for the first one's session to time out. (The hang
// this order avoids, a race inside librdkafka's close, is not reproduced here.)
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <unistd.h>

#include "host/kafka/kafka_config.h"
#include "host/kafka/kafka_consumer.h"
#include "tests/integration/kafka/topic_admin.h"

namespace clickagg::kafka {
namespace {

using testing::brokers_from_env;

constexpr int kPartitions = 3;

struct Member {
  std::set<int32_t> assigned;
  int revokes = 0;
  size_t revoked = 0;
  rd_kafka_resp_err_t unassign = RD_KAFKA_RESP_ERR_NO_ERROR;
  KafkaConsumer* consumer = nullptr;

  KafkaConsumer::RebalanceFn fn() {
    return [this](rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list) {
      rd_kafka_t* rk = consumer->handle();
      if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < list->cnt; ++i) assigned.insert(list->elems[i].partition);
        rd_kafka_assign(rk, list);
        return;
      }
      ++revokes;
      revoked = static_cast<size_t>(list->cnt);
      unassign = rd_kafka_assign(rk, nullptr);
      assigned.clear();
    };
  }
};

void subscribe(KafkaConsumer& c, const std::string& topic) {
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(c.handle(), topics), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);
}

// Polls until the member holds `want` partitions or the deadline passes.
bool wait_assigned(KafkaConsumer& c, const Member& m, size_t want, std::chrono::seconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  rd_kafka_message_t* out[16];
  while (std::chrono::steady_clock::now() < end) {
    const size_t n = c.consume(100, out, 16);
    for (size_t i = 0; i < n; ++i) rd_kafka_message_destroy(out[i]);
    if (m.assigned.size() == want) return true;
  }
  return false;
}

TEST(ConsumerClose, OneRevokeThenTheNextMemberGetsEverythingAtOnce) {
  const std::string brokers = brokers_from_env();
  if (brokers.empty()) GTEST_SKIP() << "CLICKAGG_KAFKA_BROKERS is not set; start a broker with scripts/kafka/start.sh";
  HandlePtr admin = KafkaConfig({{"bootstrap.servers", brokers}}).create(RD_KAFKA_PRODUCER);
  const std::string topic = "clickagg-test-close-" + std::to_string(::getpid());
  testing::create_topic(admin.get(), topic, kPartitions);

  ConsumerOptions o;
  o.brokers = brokers;
  o.group = fresh_group_id("close");
  // A session far longer than the test: the second member is assigned at once only if the
  // first one left the group.
  o.extra = {{"session.timeout.ms", "45000"}, {"log_level", "3"}};

  Member first;
  {
    KafkaConsumer c(o, first.fn());
    first.consumer = &c;
    subscribe(c, topic);
    ASSERT_TRUE(wait_assigned(c, first, kPartitions, std::chrono::seconds(60)));
    const auto t0 = std::chrono::steady_clock::now();
    c.close();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));
    EXPECT_EQ(first.revokes, 1);
    EXPECT_EQ(first.revoked, static_cast<size_t>(kPartitions));
    EXPECT_EQ(first.unassign, RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  Member second;
  KafkaConsumer c2(o, second.fn());
  second.consumer = &c2;
  subscribe(c2, topic);
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_assigned(c2, second, kPartitions, std::chrono::seconds(30)));
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(30));
  c2.close();
  testing::delete_topic(admin.get(), topic);
}

}  // namespace
}  // namespace clickagg::kafka
