// Lines to a Kafka topic through the idempotent producer (enable.idempotence, acks=all),
// keyed by ad_id so every click of an ad lands on one partition. deliver() waits for the
// broker's acknowledgements; only then does the watcher move its saved offsets.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "host/kafka/kafka_producer.h"
#include "host/watch/line_sink.h"

namespace clickagg::watch {

class KafkaLineSink : public LineSink {
 public:
  // `stop`: once set, deliver() gives up after `stop_grace` instead of waiting for a broker
  // that does not answer (the unacknowledged lines are resent after the restart).
  KafkaLineSink(const kafka::ProducerOptions& options, std::string topic, const std::atomic<bool>* stop,
                std::chrono::milliseconds stop_grace = std::chrono::seconds(10));

  // Hands back lines still queued after an abandoned deliver() at once, instead of the
  // producer's own 10 s wait on close: they are resent after the restart anyway.
  ~KafkaLineSink() override;

  // Asks the broker whether the topic exists: "" when it does, else why not; nullopt when no
  // broker answered within `timeout`.
  std::optional<std::string> check_topic(std::chrono::milliseconds timeout);

  void send(std::string_view key, std::string_view line) override;
  // Throws kafka::KafkaError when the producer hit a fatal error.
  bool deliver(std::string* why) override;

 private:
  kafka::KafkaProducer producer_;
  std::string topic_;
  const std::atomic<bool>* stop_;
  std::chrono::milliseconds stop_grace_;
  uint64_t failed_before_ = 0;  // producer's failure count at the end of the previous round
};

}  // namespace clickagg::watch
