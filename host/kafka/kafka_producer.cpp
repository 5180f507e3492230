#include "host/kafka/kafka_producer.h"

#include "host/common/log.h"
#include "host/kafka/kafka_log.h"

namespace clickagg::kafka {

namespace {

constexpr int kFullQueueWaitMs = 10;     // poll slice while the local queue is full
constexpr uint32_t kPollEvery = 1024;    // produce() serves delivery reports this often
constexpr auto kDestructorFlush = std::chrono::seconds(10);

}  // namespace

KafkaProducer::KafkaProducer(const ProducerOptions& o) {
  KafkaConfig conf;
  conf.set("bootstrap.servers", o.brokers)
      .set("client.id", o.client_id)
      // Idempotence gives per-partition ordering without gaps or duplicates across retries;
      // it implies acks=all, which is stated anyway so no override can weaken it silently.
      .set("enable.idempotence", "true")
      .set("acks", "all")
      .set("linger.ms", std::to_string(o.linger_ms))
      .set("compression.codec", o.compression)
      .set("queue.buffering.max.messages", std::to_string(o.max_queued_messages))
      .set("queue.buffering.max.kbytes", std::to_string(o.max_queued_kbytes))
      .set("partitioner", o.partitioner);
  if (o.delivery_timeout) conf.set("message.timeout.ms", std::to_string(o.delivery_timeout->count()));
  conf.set(o.extra);
  rd_kafka_conf_set_opaque(conf.raw(), this);
  rd_kafka_conf_set_dr_msg_cb(conf.raw(), &KafkaProducer::on_delivery);
  rd_kafka_conf_set_error_cb(conf.raw(), &KafkaProducer::on_error);
  rk_ = std::move(conf).create(RD_KAFKA_PRODUCER);
}

KafkaProducer::~KafkaProducer() {
  if (!rk_) return;
  if (counts().in_flight() > 0 && !fatal_) {
    std::string why;
    if (!flush(kDestructorFlush, &why)) {
      log::error("kafka", "[%s] closing with undelivered messages: %s", rd_kafka_name(rk_.get()),
                 why.c_str());
    }
  }
  topics_.clear();  // topic handles go before the client
}

rd_kafka_topic_t* KafkaProducer::topic(std::string_view name) {
  if (auto it = topics_.find(name); it != topics_.end()) return it->second.get();
  const std::string n(name);
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk_.get(), n.c_str(), nullptr);
  if (!t) {
    const auto err = rd_kafka_last_error();
    throw KafkaError(err, classify(err), "kafka topic '" + n + "': " + rd_kafka_err2str(err));
  }
  topics_.emplace(n, TopicPtr(t));
  return t;
}

void KafkaProducer::produce(std::string_view topic_name, std::string_view key, std::string_view value) {
  if (fatal_) throw_fatal();
  rd_kafka_topic_t* t = topic(topic_name);
  for (;;) {
    const int rc = rd_kafka_produce(t, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                                    const_cast<char*>(value.data()), value.size(), key.data(), key.size(),
                                    nullptr);
    if (rc == 0) break;
    const rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      // Back-pressure: wait for deliveries to make room rather than drop or fail.
      rd_kafka_poll(rk_.get(), kFullQueueWaitMs);
      if (fatal_) throw_fatal();
      continue;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) throw_fatal();
    throw KafkaError(err, ErrorClass::Fatal,
                     "kafka produce to '" + std::string(topic_name) + "': " + rd_kafka_err2str(err));
  }
  produced_.fetch_add(1, std::memory_order_relaxed);
  if (++since_poll_ >= kPollEvery) {
    since_poll_ = 0;
    rd_kafka_poll(rk_.get(), 0);
  }
}

int KafkaProducer::poll(std::chrono::milliseconds timeout) {
  return rd_kafka_poll(rk_.get(), static_cast<int>(timeout.count()));
}

bool KafkaProducer::flush(std::chrono::milliseconds timeout, std::string* why) {
  const rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), static_cast<int>(timeout.count()));
  rd_kafka_poll(rk_.get(), 0);  // reports that arrived as the flush ended
  const DeliveryCounts c = counts();
  std::string reason;
  if (auto f = fatal_error(rk_.get())) {
    reason = "producer failed: " + *f;
  } else if (c.failed > 0) {
    reason = std::to_string(c.failed) + " of " + std::to_string(c.produced) +
             " messages failed; first: " + first_failure();
  } else if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || c.in_flight() > 0) {
    reason = std::to_string(c.in_flight()) + " messages still undelivered after " +
             std::to_string(timeout.count()) + " ms";
  }
  if (why) *why = reason;
  return reason.empty();
}

DeliveryCounts KafkaProducer::counts() const {
  DeliveryCounts c;
  // delivered/failed before produced, so in_flight() never underflows when read mid-stream.
  c.delivered = delivered_.load(std::memory_order_acquire);
  c.failed = failed_.load(std::memory_order_acquire);
  c.produced = produced_.load(std::memory_order_acquire);
  return c;
}

std::string KafkaProducer::first_failure() const {
  std::lock_guard lock(failure_mu_);
  return first_failure_;
}

void KafkaProducer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* self = static_cast<KafkaProducer*>(opaque);
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->delivered_.fetch_add(1, std::memory_order_release);
    return;
  }
  {
    std::lock_guard lock(self->failure_mu_);
    if (self->first_failure_.empty()) {
      self->first_failure_ = std::string(rd_kafka_err2name(msg->err)) + ": " + rd_kafka_err2str(msg->err);
    }
  }
  self->failed_.fetch_add(1, std::memory_order_release);
}

void KafkaProducer::on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaProducer*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__FATAL) self->fatal_ = true;
  log_error_by_class(rk, err, reason, nullptr);
}

void KafkaProducer::throw_if_fatal() {
  if (fatal_error(rk_.get())) throw_fatal();
}

void KafkaProducer::throw_fatal() {
  const auto why = fatal_error(rk_.get());
  throw KafkaError(RD_KAFKA_RESP_ERR__FATAL, ErrorClass::Fatal,
                   "kafka producer failed: " + why.value_or("fatal error"));
}

}  // namespace clickagg::kafka
