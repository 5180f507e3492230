#include "host/stream/kafka_source.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "host/common/log.h"

namespace clickagg::stream {

MessageBatch::~MessageBatch() {
  for (auto* m : raw_) rd_kafka_message_destroy(m);
}
MessageBatch::MessageBatch(MessageBatch&& o) noexcept : raw_(std::move(o.raw_)), view_(std::move(o.view_)) {
  o.raw_.clear();
  o.view_.clear();
}
MessageBatch& MessageBatch::operator=(MessageBatch&& o) noexcept {
  if (this != &o) {
    for (auto* m : raw_) rd_kafka_message_destroy(m);
    raw_ = std::move(o.raw_);
    view_ = std::move(o.view_);
    o.raw_.clear();
    o.view_.clear();
  }
  return *this;
}
void MessageBatch::add(rd_kafka_message_t* m) {
  raw_.push_back(m);
  view_.push_back(KafkaMessage{static_cast<uint32_t>(m->partition), m->offset,
                               std::string_view(static_cast<const char*>(m->payload), m->len)});
}
void MessageBatch::append(MessageBatch&& other) {
  raw_.insert(raw_.end(), other.raw_.begin(), other.raw_.end());
  view_.insert(view_.end(), other.view_.begin(), other.view_.end());
  other.raw_.clear();
  other.view_.clear();
}

namespace {

kafka::ConsumerOptions consumer_options(const std::string& brokers, const std::string& group,
                                        const std::map<std::string, std::string>& extra,
                                        std::chrono::milliseconds broker_timeout) {
  kafka::ConsumerOptions o;
  o.brokers = brokers;
  o.group = group;
  o.prefetch = kafka::Prefetch::Deep;
  o.broker_timeout = broker_timeout;
  o.extra.assign(extra.begin(), extra.end());
  return o;
}

}  // namespace

KafkaSource::KafkaSource(const std::string& brokers, const std::string& topic, const std::string& group,
                         const std::map<std::string, std::string>& extra_config,
                         std::chrono::milliseconds broker_timeout)
    : topic_(topic),
      consumer_(consumer_options(brokers, group, extra_config, broker_timeout),
                [this](rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list) { on_rebalance(err, list); }) {}

// The listener may be gone already: the consumer's close that follows only unassigns.
KafkaSource::~KafkaSource() { listener_ = nullptr; }

void KafkaSource::subscribe(RebalanceListener& listener) {
  listener_ = &listener;
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic_.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_.handle(), topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err) throw std::runtime_error("kafka subscribe to " + topic_ + ": " + rd_kafka_err2str(err));
}

void KafkaSource::close() {
  consumer_.close();
  rethrow_pending();
}

void KafkaSource::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list) {
  rd_kafka_t* rk = consumer_.handle();
  std::vector<uint32_t> parts;
  for (int i = 0; i < list->cnt; ++i) parts.push_back(static_cast<uint32_t>(list->elems[i].partition));
  // Exceptions must not cross librdkafka's frames: kept and thrown from poll().
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    std::map<uint32_t, int64_t> start;
    try {
      if (listener_) start = listener_->on_assigned(parts);
    } catch (...) {
      pending_error_ = std::current_exception();
      rd_kafka_assign(rk, nullptr);
      return;
    }
    for (int i = 0; i < list->cnt; ++i) {
      auto it = start.find(static_cast<uint32_t>(list->elems[i].partition));
      list->elems[i].offset = it == start.end() ? RD_KAFKA_OFFSET_BEGINNING : it->second;
    }
    if (const rd_kafka_resp_err_t e = rd_kafka_assign(rk, list))
      pending_error_ = std::make_exception_ptr(std::runtime_error(std::string("kafka assign: ") + rd_kafka_err2str(e)));
  } else {
    const bool lost = rd_kafka_assignment_lost(rk) != 0;
    try {
      if (listener_) listener_->on_revoked(parts, lost);
    } catch (...) {
      pending_error_ = std::current_exception();
    }
    rd_kafka_assign(rk, nullptr);
  }
}

void KafkaSource::rethrow_pending() {
  if (pending_error_) std::rethrow_exception(std::exchange(pending_error_, nullptr));
}

std::optional<std::vector<uint32_t>> KafkaSource::partitions(int timeout_ms) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(consumer_.handle(), topic_.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(consumer_.handle(), 0, t, &md, timeout_ms);
  rd_kafka_topic_destroy(t);
  if (err) return std::nullopt;  // no broker answered (transport failure or timeout)
  std::vector<uint32_t> out;
  std::string problem;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (md->topics[i].err) problem = rd_kafka_err2str(md->topics[i].err);
    for (int p = 0; p < md->topics[i].partition_cnt; ++p)
      out.push_back(static_cast<uint32_t>(md->topics[i].partitions[p].id));
  }
  rd_kafka_metadata_destroy(md);
  if (out.empty()) throw std::runtime_error("kafka topic " + topic_ + " has no partitions" + (problem.empty() ? "" : ": " + problem));
  return out;
}

void KafkaSource::assign(const std::vector<uint32_t>& parts, const std::map<uint32_t, int64_t>& next_offset) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(parts.size()));
  for (uint32_t p : parts) {
    auto* tp = rd_kafka_topic_partition_list_add(list, topic_.c_str(), static_cast<int32_t>(p));
    auto it = next_offset.find(p);
    tp->offset = it == next_offset.end() ? RD_KAFKA_OFFSET_BEGINNING : it->second;
  }
  const rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.handle(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) throw std::runtime_error(std::string("kafka assign: ") + rd_kafka_err2str(err));
}

MessageBatch KafkaSource::poll(size_t max, int timeout_ms) {
  // librdkafka's batch call waits out its whole timeout unless `max` messages arrive, so it
  // is called in short slices: return as soon as the local queue runs dry after something
  // arrived, or at the deadline.
  MessageBatch batch;
  std::vector<rd_kafka_message_t*> msgs(max);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (batch.size() < max) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int slice = batch.empty() ? static_cast<int>(std::clamp<int64_t>(left.count(), 0, 10)) : 0;
    const size_t n = consumer_.consume(slice, msgs.data(), max - batch.size());
    for (size_t i = 0; i < n; ++i) batch.add(msgs[i]);
    rethrow_pending();  // a rebalance callback failed
    if (n == 0 && (!batch.empty() || std::chrono::steady_clock::now() >= deadline)) break;
  }
  return batch;
}

void KafkaSource::commit(const std::map<uint32_t, int64_t>& next_offset) {
  if (next_offset.empty()) return;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(next_offset.size()));
  for (const auto& [p, off] : next_offset) rd_kafka_topic_partition_list_add(list, topic_.c_str(), static_cast<int32_t>(p))->offset = off;
  const rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.handle(), list, 0);
  rd_kafka_topic_partition_list_destroy(list);
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
    log::warn("kafka", "%s (will retry at the next checkpoint)", rd_kafka_err2str(err));
}

bool KafkaSource::caught_up(const std::vector<uint32_t>& parts, const std::map<uint32_t, int64_t>& next_offset,
                            int timeout_ms) {
  for (uint32_t p : parts) {
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(consumer_.handle(), topic_.c_str(), static_cast<int32_t>(p), &lo, &hi,
                                         timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
      return false;
    auto it = next_offset.find(p);
    const int64_t pos = it == next_offset.end() ? lo : it->second;
    if (pos < hi) return false;
  }
  return true;
}

std::map<uint32_t, int64_t> KafkaSource::lag(const std::vector<uint32_t>& parts,
                                             const std::map<uint32_t, int64_t>& next_offset) {
  std::map<uint32_t, int64_t> out;
  for (uint32_t p : parts) {
    int64_t lo = 0, hi = 0;
    if (rd_kafka_get_watermark_offsets(consumer_.handle(), topic_.c_str(), static_cast<int32_t>(p), &lo, &hi) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0 || lo < 0)  // not fetched yet: RD_KAFKA_OFFSET_INVALID
      continue;
    auto it = next_offset.find(p);
    const int64_t pos = it == next_offset.end() ? lo : std::max(it->second, lo);
    out[p] = std::max<int64_t>(0, hi - pos);
  }
  return out;
}

}  // namespace clickagg::stream
