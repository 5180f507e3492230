#include "host/watch/kafka_line_sink.h"

namespace clickagg::watch {

namespace {
constexpr auto kFlushSlice = std::chrono::milliseconds(200);  // how often a wait looks at the stop flag
}

KafkaLineSink::KafkaLineSink(const kafka::ProducerOptions& options, std::string topic,
                             const std::atomic<bool>* stop, std::chrono::milliseconds stop_grace)
    : producer_(options), topic_(std::move(topic)), stop_(stop), stop_grace_(stop_grace) {}

KafkaLineSink::~KafkaLineSink() {
  if (producer_.counts().in_flight() == 0) return;
  rd_kafka_purge(producer_.handle(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  producer_.poll();  // the purged messages' reports
}

std::optional<std::string> KafkaLineSink::check_topic(std::chrono::milliseconds timeout) {
  kafka::TopicPtr t(rd_kafka_topic_new(producer_.handle(), topic_.c_str(), nullptr));
  if (!t) return "bad topic name";
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(producer_.handle(), 0, t.get(), &md, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  std::string why;
  if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    why = "kafka topic '" + topic_ + "' does not exist (create it first)";
  } else if (md->topic_cnt == 1 && md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    why = "kafka topic '" + topic_ + "': " + rd_kafka_err2str(md->topics[0].err);
  }
  rd_kafka_metadata_destroy(md);
  return why;
}

void KafkaLineSink::send(std::string_view key, std::string_view line) { producer_.produce(topic_, key, line); }

bool KafkaLineSink::deliver(std::string* why) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point stop_seen{};
  // KafkaProducer::flush() reports failures over the producer's whole life; this round's
  // outcome is the change in the counts.
  for (;;) {
    producer_.flush(kFlushSlice);
    producer_.throw_if_fatal();
    const kafka::DeliveryCounts c = producer_.counts();
    if (c.in_flight() == 0) {
      const uint64_t failed = c.failed - failed_before_;
      failed_before_ = c.failed;
      if (failed == 0) return true;
      if (why) *why = std::to_string(failed) + " lines were not delivered (" + producer_.first_failure() + "...)";
      return false;
    }
    if (stop_ && stop_->load()) {
      const auto now = Clock::now();
      if (stop_seen == Clock::time_point{}) stop_seen = now;
      if (now - stop_seen >= stop_grace_) {
        if (why) *why = "stopping with " + std::to_string(c.in_flight()) + " lines unacknowledged";
        return false;
      }
    }
  }
}

}  // namespace clickagg::watch
