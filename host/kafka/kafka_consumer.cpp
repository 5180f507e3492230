#include "host/kafka/kafka_consumer.h"

#include <unistd.h>

#include <chrono>
#include <utility>

#include "host/common/log.h"
#include "host/kafka/kafka_errors.h"

namespace clickagg::kafka {

KafkaConsumer::KafkaConsumer(const ConsumerOptions& o, RebalanceFn on_rebalance)
    : brokers_(o.brokers), on_rebalance_(std::move(on_rebalance)) {
  KafkaConfig conf;
  conf.set("bootstrap.servers", o.brokers)
      .set("group.id", o.group)
      .set("enable.auto.commit", "false")
      .set("enable.auto.offset.store", "false")
      .set("enable.partition.eof", "false")
      .set("auto.offset.reset", "earliest")
      // Eager assignment only: the cooperative-sticky assignor of librdkafka 2.0.x can hang.
      .set("partition.assignment.strategy", "range")
      .set("fetch.wait.max.ms", "50");
  if (o.prefetch == Prefetch::Deep) {
    conf.set("queued.min.messages", "1000000")
        .set("queued.max.messages.kbytes", "1048576")
        .set("fetch.message.max.bytes", "8388608")
        .set("fetch.max.bytes", "104857600");
  } else {
    conf.set("queued.max.messages.kbytes", "262144");
  }
  conf.set(o.extra);
  if (o.broker_timeout) {
    watch_.emplace(*o.broker_timeout);
    BrokerWatch::enable_statistics(conf.raw());  // after the extras: the broker watch depends on it
    rd_kafka_conf_set_stats_cb(conf.raw(), &KafkaConsumer::statistics_trampoline);
  }
  if (on_rebalance_) rd_kafka_conf_set_rebalance_cb(conf.raw(), &KafkaConsumer::rebalance_trampoline);
  rd_kafka_conf_set_opaque(conf.raw(), this);
  rk_ = std::move(conf).create(RD_KAFKA_CONSUMER);
  queue_.reset(rd_kafka_queue_get_consumer(rk_.get()));
}

KafkaConsumer::~KafkaConsumer() {
  close();
  queue_.reset();
  // Closed above already; the second close rd_kafka_destroy() would make never returns once a
  // fatal error was raised (librdkafka 2.0.2), and the process could not exit.
  rd_kafka_destroy_flags(rk_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

void KafkaConsumer::close() {
  if (closed_) return;
  closed_ = true;
  if (on_rebalance_) hand_back_partitions();
  if (const rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_.get()))
    log::warn("kafka", "[%s] leaving the group: %s", rd_kafka_name(rk_.get()), rd_kafka_err2str(err));
}

// rd_kafka_consumer_close() hands the rebalance function the revoke of what is still
// assigned, and librdkafka 2.0.2 can then wait for ever in that function's unassign: the group
// may finish terminating just as the request arrives and drop it unanswered (the main thread of
// a stuck aggregator sat in rd_kafka_assign under rd_kafka_consumer_close). So the consumer
// unsubscribes first and serves the revoke here, while the group still answers; close() then
// has nothing to take back. Bounded: if the revoke does not come, close() goes on as before.
void KafkaConsumer::hand_back_partitions() {
  rd_kafka_t* rk = rk_.get();
  auto assigned = [rk] {
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(rk, &list) != RD_KAFKA_RESP_ERR_NO_ERROR || list == nullptr) return false;
    const bool any = list->cnt > 0;
    rd_kafka_topic_partition_list_destroy(list);
    return any;
  };
  if (fatal_error(rk) || !assigned() || rd_kafka_unsubscribe(rk) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  rd_kafka_message_t* dropped[64];
  while (assigned() && std::chrono::steady_clock::now() < deadline) {
    // Records fetched ahead are let go: nothing stored or committed their offsets.
    const ssize_t n = rd_kafka_consume_batch_queue(queue_.get(), 100, dropped, 64);
    for (ssize_t i = 0; i < n; ++i) rd_kafka_message_destroy(dropped[i]);
  }
}

size_t KafkaConsumer::consume(int timeout_ms, rd_kafka_message_t** out, size_t max) {
  rd_kafka_poll(rk_.get(), 0);
  if (watch_) watch_->check(brokers_);
  const ssize_t n = rd_kafka_consume_batch_queue(queue_.get(), timeout_ms, out, max);
  if (n < 0) {
    const rd_kafka_resp_err_t err = rd_kafka_last_error();
    throw KafkaError(err, classify(err), std::string("kafka consume: ") + rd_kafka_err2str(err));
  }
  size_t kept = 0;
  for (ssize_t i = 0; i < n; ++i) {
    rd_kafka_message_t* m = out[i];
    if (!m->err) {
      out[kept++] = m;
      continue;
    }
    const ErrorClass cls = classify(m->err);
    // A fatal error raised on the client ends it, whatever this message's own error is.
    std::optional<std::string> fatal = fatal_error(rk_.get());
    if (!fatal && cls == ErrorClass::Fatal) fatal = rd_kafka_message_errstr(m);
    if (fatal) {
      const rd_kafka_resp_err_t code = m->err;
      for (size_t j = 0; j < kept; ++j) rd_kafka_message_destroy(out[j]);
      for (ssize_t j = i; j < n; ++j) rd_kafka_message_destroy(out[j]);
      throw KafkaError(code, ErrorClass::Fatal, "kafka fatal error: " + *fatal);
    }
    if (cls == ErrorClass::Transient) log::warn("kafka", "%s (transient, retrying)", rd_kafka_message_errstr(m));
    rd_kafka_message_destroy(m);
  }
  return kept;
}

void KafkaConsumer::rebalance_trampoline(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list,
                                         void* opaque) {
  static_cast<KafkaConsumer*>(opaque)->on_rebalance_(err, list);
}

int KafkaConsumer::statistics_trampoline(rd_kafka_t*, char* json, size_t len, void* opaque) {
  static_cast<KafkaConsumer*>(opaque)->watch_->on_statistics(std::string_view(json, len));
  return 0;  // librdkafka frees the document
}

std::string fresh_group_id(std::string_view prefix) {
  return std::string(prefix) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace clickagg::kafka
