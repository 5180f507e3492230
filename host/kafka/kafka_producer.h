// Idempotent Kafka producer for click records: every accepted message is either delivered
// exactly once per partition, in order, or counted as failed with a reason, so a caller can
// prove nothing was lost. produce() applies back-pressure instead of failing when the local
// queue is full.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "host/kafka/kafka_config.h"
#include "host/kafka/kafka_errors.h"
#include "host/kafka/kafka_handles.h"

namespace clickagg::kafka {

struct ProducerOptions {
  std::string brokers;                  // bootstrap.servers
  std::string client_id = "clickagg-producer";
  std::string compression = "lz4";      // none, gzip, snappy, lz4, zstd (all built in 2.0.2)
  int linger_ms = 5;                    // small: batches fill fast at high rates anyway
  int max_queued_messages = 200000;     // local queue bound; produce() waits above it
  int max_queued_kbytes = 256 * 1024;
  // Murmur2 places a key on the same partition as the Java clients' default partitioner, so
  // other producers of the same topic agree with this one.
  std::string partitioner = "murmur2_random";
  // A message not acknowledged within this long fails (message.timeout.ms; zero: never);
  // unset keeps librdkafka's five minutes.
  std::optional<std::chrono::milliseconds> delivery_timeout;
  ConfigPairs extra;                    // any other librdkafka properties, applied last
};

struct DeliveryCounts {
  uint64_t produced = 0;   // accepted into the local queue
  uint64_t delivered = 0;  // acknowledged by all in-sync replicas
  uint64_t failed = 0;     // permanently failed (reason in first_failure)
  uint64_t in_flight() const { return produced - delivered - failed; }
};

// One thread produces, polls and flushes; counts() and first_failure() may be read from any.
class KafkaProducer {
 public:
  explicit KafkaProducer(const ProducerOptions& options);
  // Waits up to 10 s for outstanding deliveries; what is still undelivered then is reported
  // in the log. Call flush() first to know the outcome.
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Queues one message (key and value are copied). Blocks, serving delivery reports, while
  // the local queue is full. Throws KafkaError when the message can never be sent (fatal
  // producer error, unknown topic or partition, message too large).
  void produce(std::string_view topic, std::string_view key, std::string_view value);

  // Serves delivery reports; returns how many were served.
  int poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // Waits until every queued message is delivered or failed. True when all were delivered;
  // otherwise false with the reason in *why (timeout with the count still in flight, failed
  // deliveries with the first failure, or the producer's fatal error).
  bool flush(std::chrono::milliseconds timeout, std::string* why = nullptr);

  // Throws KafkaError once a fatal error was raised on the producer: it can send nothing more.
  void throw_if_fatal();

  DeliveryCounts counts() const;
  std::string first_failure() const;
  rd_kafka_t* handle() { return rk_.get(); }

 private:
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  rd_kafka_topic_t* topic(std::string_view name);
  [[noreturn]] void throw_fatal();

  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  HandlePtr rk_;
  std::unordered_map<std::string, TopicPtr, NameHash, std::equal_to<>> topics_;
  std::atomic<uint64_t> produced_{0}, delivered_{0}, failed_{0};
  std::atomic<bool> fatal_{false};
  mutable std::mutex failure_mu_;
  std::string first_failure_;
  uint32_t since_poll_ = 0;
};

}  // namespace clickagg::kafka
