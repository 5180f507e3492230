// Consumers as host/kafka makes them, without a broker: the user's settings come after the
// project's, the broker watch keeps its statistics, and an error that ends the client (or
// brokers silent past the timeout) ends consume() instead of being skipped.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "host/kafka/kafka_consumer.h"
#include "host/kafka/kafka_errors.h"

namespace clickagg::kafka {
namespace {

ConsumerOptions offline(const char* prefix) {
  ConsumerOptions o;
  o.brokers = "127.0.0.1:1";  // nothing listens there
  o.group = fresh_group_id(prefix);
  o.extra = {{"log_level", "0"}};
  return o;
}

std::string setting(const KafkaConsumer& c, const char* key) {
  char value[256];
  size_t size = sizeof value;
  if (rd_kafka_conf_get(rd_kafka_conf(c.handle()), key, value, &size) != RD_KAFKA_CONF_OK) return "?";
  return value;
}

TEST(KafkaConsumer, UserSettingsComeAfterTheProjectsOwn) {
  ConsumerOptions o = offline("settings");
  o.prefetch = Prefetch::Deep;
  o.extra.emplace_back("fetch.wait.max.ms", "77");
  KafkaConsumer c(o);
  EXPECT_EQ(setting(c, "fetch.wait.max.ms"), "77");
  EXPECT_EQ(setting(c, "queued.min.messages"), "1000000");
  EXPECT_EQ(setting(c, "enable.auto.commit"), "false");
  EXPECT_EQ(setting(c, "group.id"), o.group);
  EXPECT_EQ(c.broker_watch(), nullptr);
}

TEST(KafkaConsumer, TheBrokerWatchKeepsItsStatistics) {
  ConsumerOptions o = offline("statistics");
  o.broker_timeout = std::chrono::milliseconds(0);
  o.extra.emplace_back("statistics.interval.ms", "0");
  KafkaConsumer c(o);
  EXPECT_EQ(setting(c, "statistics.interval.ms"), "1000");
  ASSERT_NE(c.broker_watch(), nullptr);
  EXPECT_FALSE(c.broker_watch()->up());
}

TEST(KafkaConsumer, ConsumeFailsOnceNoBrokerAnsweredForTheTimeout) {
  ConsumerOptions o = offline("silent");
  o.broker_timeout = std::chrono::milliseconds(200);
  KafkaConsumer c(o);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  rd_kafka_message_t* out[8];
  try {
    c.consume(0, out, 8);
    FAIL() << "no broker answered, yet consume() went on";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no Kafka broker at 127.0.0.1:1"), std::string::npos) << e.what();
  }
}

// ... and the consumer is destroyed afterwards: librdkafka's own close on destroy would hang.
TEST(KafkaConsumer, AFatalErrorEndsConsume) {
  KafkaConsumer c(offline("fatal"));
  ASSERT_EQ(rd_kafka_test_fatal_error(c.handle(), RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID, "fenced for the test"),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_message_t* out[8];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  try {
    while (std::chrono::steady_clock::now() < deadline) {
      const size_t n = c.consume(100, out, 8);
      for (size_t i = 0; i < n; ++i) rd_kafka_message_destroy(out[i]);
    }
    FAIL() << "the fatal error was not raised from consume()";
  } catch (const KafkaError& e) {
    EXPECT_EQ(e.error_class(), ErrorClass::Fatal);
    EXPECT_NE(std::string(e.what()).find("fenced for the test"), std::string::npos) << e.what();
  }
}

TEST(KafkaConsumer, FreshGroupIdsDiffer) {
  const std::string a = fresh_group_id("x"), b = fresh_group_id("x");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("x-", 0), 0u) << a;
}

}  // namespace
}  // namespace clickagg::kafka
