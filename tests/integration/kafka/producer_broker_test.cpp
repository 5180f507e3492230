// The idempotent producer against a real broker: 100,000 keyed messages to a fresh
// 4-partition topic all come back, each key on one partition (the Java clients' murmur2
// choice), in the order they were produced, with no gaps or duplicates.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include "host/kafka/kafka_config.h"
#include "host/kafka/kafka_errors.h"
#include "host/kafka/kafka_producer.h"
#include "tests/integration/kafka/topic_admin.h"

namespace clickagg::kafka {
namespace {

using testing::brokers_from_env;

constexpr int kPartitions = 4;
constexpr int kMessages = 100000;
constexpr int kKeys = 1000;

// Kafka's Utils.murmur2 and toPositive(h) % n, the Java default partitioner for keyed records.
int32_t java_partition(std::string_view key, int partitions) {
  const uint32_t m = 0x5bd1e995;
  const size_t len = key.size();
  uint32_t h = 0x9747b28c ^ static_cast<uint32_t>(len);
  const auto* d = reinterpret_cast<const unsigned char*>(key.data());
  for (size_t i = 0; i + 4 <= len; i += 4) {
    uint32_t k = d[i] | (d[i + 1] << 8) | (d[i + 2] << 16) | (uint32_t{d[i + 3]} << 24);
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
  }
  const size_t tail = len & ~size_t{3};
  switch (len % 4) {
    case 3: h ^= uint32_t{d[tail + 2]} << 16; [[fallthrough]];
    case 2: h ^= uint32_t{d[tail + 1]} << 8; [[fallthrough]];
    case 1: h ^= d[tail]; h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>((h & 0x7fffffff) % static_cast<uint32_t>(partitions));
}

std::string unique_topic(const char* what) {
  return std::string("clickagg-test-") + what + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

class ProducerBroker : public ::testing::Test {
 protected:
  void SetUp() override {
    brokers_ = brokers_from_env();
    if (brokers_.empty()) {
      GTEST_SKIP() << "CLICKAGG_KAFKA_BROKERS is not set; start a broker with "
                      "scripts/kafka/start.sh and export CLICKAGG_KAFKA_BROKERS=127.0.0.1:9092";
    }
    admin_ = KafkaConfig({{"bootstrap.servers", brokers_}}).create(RD_KAFKA_PRODUCER);
    topic_ = unique_topic("producer");
    testing::create_topic(admin_.get(), topic_, kPartitions);
  }
  void TearDown() override {
    if (admin_) testing::delete_topic(admin_.get(), topic_);
  }

  std::string brokers_;
  std::string topic_;
  HandlePtr admin_;
};

struct Consumed {
  int32_t partition;
  int64_t offset;
  std::string key;
  std::string value;
};

// Reads every partition of `topic` from the beginning until `want` messages arrived and
// then `quiet` passed without another (so extra copies would be seen too).
std::vector<Consumed> consume_all(const std::string& brokers, const std::string& topic, size_t want,
                                  std::chrono::seconds deadline, std::chrono::milliseconds quiet) {
  HandlePtr c = KafkaConfig({{"bootstrap.servers", brokers},
                             {"group.id", unique_topic("reader")},
                             {"enable.auto.commit", "false"},
                             {"enable.partition.eof", "false"}})
                    .create(RD_KAFKA_CONSUMER);
  rd_kafka_poll_set_consumer(c.get());
  PartitionListPtr parts(rd_kafka_topic_partition_list_new(kPartitions));
  for (int p = 0; p < kPartitions; ++p) {
    rd_kafka_topic_partition_list_add(parts.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  EXPECT_EQ(rd_kafka_assign(c.get(), parts.get()), RD_KAFKA_RESP_ERR_NO_ERROR);

  std::vector<Consumed> out;
  out.reserve(want);
  const auto end = std::chrono::steady_clock::now() + deadline;
  auto last = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < end) {
    MessagePtr m(rd_kafka_consumer_poll(c.get(), 100));
    const auto now = std::chrono::steady_clock::now();
    if (!m) {
      if (out.size() >= want && now - last >= quiet) break;
      continue;
    }
    if (m->err) {
      EXPECT_NE(classify(m->err), ErrorClass::Fatal) << rd_kafka_message_errstr(m.get());
      continue;
    }
    last = now;
    out.push_back({m->partition, m->offset,
                   std::string(static_cast<const char*>(m->key), m->key_len),
                   std::string(static_cast<const char*>(m->payload), m->len)});
  }
  rd_kafka_consumer_close(c.get());
  return out;
}

TEST_F(ProducerBroker, KeyedMessagesComeBackOncePerKeyPartitionInOrder) {
  ProducerOptions opts;
  opts.brokers = brokers_;
  opts.max_queued_messages = 2000;  // far below the message count: produce() must wait, not fail
  KafkaProducer producer(opts);

  std::vector<int> next_seq(kKeys, 0);
  for (int i = 0; i < kMessages; ++i) {
    const int k = static_cast<int>((uint64_t{static_cast<uint32_t>(i)} * 2654435761u) % kKeys);
    const std::string key = "ad" + std::to_string(k);
    producer.produce(topic_, key, key + ":" + std::to_string(next_seq[k]++));
  }
  std::string why;
  ASSERT_TRUE(producer.flush(std::chrono::seconds(60), &why)) << why;
  const DeliveryCounts counts = producer.counts();
  EXPECT_EQ(counts.produced, uint64_t{kMessages});
  EXPECT_EQ(counts.delivered, uint64_t{kMessages});
  EXPECT_EQ(counts.failed, 0u);

  const auto got = consume_all(brokers_, topic_, kMessages, std::chrono::seconds(120), std::chrono::seconds(1));
  ASSERT_EQ(got.size(), size_t{kMessages});

  std::unordered_map<std::string, int32_t> partition_of;
  std::unordered_map<std::string, int> seen_seq;
  std::vector<int64_t> last_offset(kPartitions, -1);
  std::vector<int> per_partition(kPartitions, 0);
  for (const Consumed& m : got) {
    ASSERT_GE(m.partition, 0);
    ASSERT_LT(m.partition, kPartitions);
    ++per_partition[m.partition];
    EXPECT_GT(m.offset, last_offset[m.partition]) << "partition " << m.partition;
    last_offset[m.partition] = m.offset;

    auto [it, fresh] = partition_of.emplace(m.key, m.partition);
    EXPECT_EQ(it->second, m.partition) << "key " << m.key << " on two partitions";
    if (fresh) {
      EXPECT_EQ(m.partition, java_partition(m.key, kPartitions)) << "key " << m.key;
    }

    // Values are key:n with n counting up per key: a gap, repeat or swap shows here.
    const std::string want = m.key + ":" + std::to_string(seen_seq[m.key]++);
    ASSERT_EQ(m.value, want);
  }
  EXPECT_EQ(partition_of.size(), size_t{kKeys});
  for (int p = 0; p < kPartitions; ++p) EXPECT_GT(per_partition[p], 0) << "partition " << p;
  for (int k = 0; k < kKeys; ++k) EXPECT_EQ(seen_seq["ad" + std::to_string(k)], next_seq[k]);
}

TEST_F(ProducerBroker, ProduceToMissingTopicThrows) {
  ProducerOptions opts;
  opts.brokers = brokers_;
  // librdkafka waits this long for a new topic to appear before calling it missing.
  opts.extra = {{"topic.metadata.propagation.max.ms", "1000"}};
  KafkaProducer producer(opts);
  // Learn the cluster's topics first, so the topic is known to be missing rather than pending.
  const rd_kafka_metadata_t* md = nullptr;
  ASSERT_EQ(rd_kafka_metadata(producer.handle(), 1, nullptr, &md, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_metadata_destroy(md);
  const std::string missing = unique_topic("missing");
  std::string why;
  try {
    for (int i = 0; i < 100; ++i) producer.produce(missing, "k", "v");
    producer.flush(std::chrono::seconds(30), &why);
  } catch (const KafkaError& e) {
    why = e.what();
  }
  // Either produce() refuses at once or the delivery fails: never a silent success.
  EXPECT_NE(why.find("UNKNOWN_TOPIC"), std::string::npos) << why;
  EXPECT_EQ(producer.counts().delivered, 0u);
}

}  // namespace
}  // namespace clickagg::kafka
