// The librdkafka boundary without a broker: configuration errors name what was wrong, errors
// sort into the three classes, and a producer that cannot reach a broker says so at flush.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "host/kafka/kafka_config.h"
#include "host/kafka/kafka_errors.h"
#include "host/kafka/kafka_producer.h"

namespace clickagg::kafka {
namespace {

TEST(KafkaConfig, BadKeyOrValueIsNamedInTheError) {
  KafkaConfig c;
  try {
    c.set("no.such.property", "1");
    FAIL() << "unknown key accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no.such.property=1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(c.set("linger.ms", "soon"), std::invalid_argument);
  EXPECT_THROW(c.set_pair("linger.ms"), std::invalid_argument);
  EXPECT_THROW(c.set_pair("=5"), std::invalid_argument);
}

TEST(KafkaConfig, SetAndGetRoundTrip) {
  KafkaConfig c({{"client.id", "x"}});
  c.set_pair("linger.ms=7");
  EXPECT_EQ(c.get("linger.ms"), "7");
  EXPECT_EQ(c.get("client.id"), "x");
  EXPECT_FALSE(c.get("no.such.property").has_value());
}

TEST(KafkaConfig, ConflictingSettingsFailAtCreate) {
  KafkaConfig c({{"enable.idempotence", "true"}, {"acks", "1"}});
  EXPECT_THROW(std::move(c).create(RD_KAFKA_PRODUCER), std::runtime_error);
}

TEST(KafkaErrors, Classes) {
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR_NO_ERROR), ErrorClass::Informational);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR__PARTITION_EOF), ErrorClass::Informational);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS), ErrorClass::Informational);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR__TRANSPORT), ErrorClass::Transient);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN), ErrorClass::Transient);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION), ErrorClass::Transient);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT), ErrorClass::Transient);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR__FATAL), ErrorClass::Fatal);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED), ErrorClass::Fatal);
  EXPECT_EQ(classify(RD_KAFKA_RESP_ERR_PRODUCER_FENCED), ErrorClass::Fatal);
}

TEST(KafkaErrors, NoFatalErrorOnAFreshClient) {
  HandlePtr rk = KafkaConfig({{"bootstrap.servers", "127.0.0.1:1"}}).create(RD_KAFKA_PRODUCER);
  EXPECT_FALSE(fatal_error(rk.get()).has_value());
  std::string text;
  EXPECT_EQ(classify(rk.get(), RD_KAFKA_RESP_ERR__TRANSPORT, &text), ErrorClass::Transient);
  EXPECT_FALSE(text.empty());
}

TEST(KafkaProducerOffline, FlushReportsUndeliveredMessages) {
  ProducerOptions o;
  o.brokers = "127.0.0.1:1";  // nothing listens there
  o.extra = {{"message.timeout.ms", "500"}, {"log_level", "0"}};
  KafkaProducer p(o);
  for (int i = 0; i < 10; ++i) p.produce("t", "k", "v");
  std::string why;
  EXPECT_FALSE(p.flush(std::chrono::seconds(10), &why));
  EXPECT_NE(why.find("failed"), std::string::npos) << why;
  const DeliveryCounts c = p.counts();
  EXPECT_EQ(c.produced, 10u);
  EXPECT_EQ(c.failed, 10u);
  EXPECT_EQ(c.delivered, 0u);
  EXPECT_FALSE(p.first_failure().empty());
}

}  // namespace
}  // namespace clickagg::kafka
