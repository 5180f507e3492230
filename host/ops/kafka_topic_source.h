// Events read from a Kafka topic from its beginning, for a recount where no archive exists.
// Every read() opens its own consumer under a fresh group id, assigns every partition from
// the beginning and never commits, so the live aggregators' group and offsets are untouched.
// A read ends at the end offsets the topic had when it started: records produced meanwhile
// are not part of it.
#pragma once
#include <vector>
#include <utility>
#include <cstdint>
#include <string>

#include "host/decode/decode.h"
#include "host/kafka/kafka_defaults.h"
#include "host/ops/event_source.h"

namespace clickagg::ops {

struct KafkaTopicSourceConfig {
  std::string brokers{kafka::kDefaultBrokers};
  std::string topic = "clicks";
  Format format = Format::Auto;
  size_t batch_max = 65'536;
  // No answer to a metadata or offsets request, or no record before the end, for this long:
  // fail (--kafka-timeout).
  int stall_timeout_ms = 30'000;
  std::vector<std::pair<std::string, std::string>> settings;  // librdkafka settings, applied last
};

class KafkaTopicSource final : public EventSource {
 public:
  explicit KafkaTopicSource(KafkaTopicSourceConfig config) : cfg_(std::move(config)) {}
  void read(int64_t from_ms, int64_t to_ms, const BatchFn& fn) override;
  // Records of the last read() that could not be decoded (the aggregators reject them too).
  uint64_t rejected() const { return rejected_; }
  // Records of the last read(), decoded or not, in range or not.
  uint64_t records() const { return records_; }

 private:
  KafkaTopicSourceConfig cfg_;
  uint64_t rejected_ = 0;
  uint64_t records_ = 0;
};

}  // namespace clickagg::ops
