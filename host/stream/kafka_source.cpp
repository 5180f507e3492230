#include "host/stream/kafka_source.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
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
void MessageBatch::add(rd_kafka_message_s* m) {
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

// librdkafka calls back with its own types; the header does not include rdkafka.h.
struct Trampolines {
  static void rebalance(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list, void* opaque) {
    static_cast<KafkaSource*>(opaque)->on_rebalance(static_cast<int>(err), list);
  }
  static int statistics(rd_kafka_t*, char* json, size_t len, void* opaque) {
    static_cast<KafkaSource*>(opaque)->watch_.on_statistics(std::string_view(json, len));
    return 0;  // librdkafka frees the document
  }
};

namespace {
void set(rd_kafka_conf_t* conf, const std::string& k, const std::string& v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    throw std::runtime_error("kafka config " + k + "=" + v + ": " + err);
}
void log_cb(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  if (level <= 4) log::write(level <= 3 ? log::Level::Error : log::Level::Warn, "kafka", std::string(fac) + ": " + buf);
}
}  // namespace

KafkaSource::KafkaSource(const std::string& brokers, const std::string& topic, const std::string& group,
                         const std::map<std::string, std::string>& extra_config,
                         std::chrono::milliseconds broker_timeout)
    : brokers_(brokers), topic_(topic), watch_(broker_timeout) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  try {
    set(conf, "bootstrap.servers", brokers);
    set(conf, "group.id", group);
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "false");
    set(conf, "enable.partition.eof", "false");
    set(conf, "auto.offset.reset", "earliest");
    // Eager assignment only: the cooperative-sticky assignor of librdkafka 2.0.x can hang.
    set(conf, "partition.assignment.strategy", "range");
    set(conf, "fetch.wait.max.ms", "50");
    // Deep prefetch: with librdkafka's defaults the local queue runs dry between fetches and
    // the aggregator waits on the network instead of aggregating.
    set(conf, "queued.min.messages", "1000000");
    set(conf, "queued.max.messages.kbytes", "1048576");
    set(conf, "fetch.message.max.bytes", "8388608");
    set(conf, "fetch.max.bytes", "104857600");
    for (const auto& [k, v] : extra_config) set(conf, k, v);
    ingest::BrokerWatch::enable_statistics(conf);  // last: the broker watch depends on it
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  rd_kafka_conf_set_log_cb(conf, log_cb);
  rd_kafka_conf_set_rebalance_cb(conf, &Trampolines::rebalance);
  rd_kafka_conf_set_stats_cb(conf, &Trampolines::statistics);
  rd_kafka_conf_set_opaque(conf, this);
  char err[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka consumer: ") + err);
  }
  queue_ = rd_kafka_queue_get_consumer(rk_);
}

KafkaSource::~KafkaSource() {
  if (queue_) rd_kafka_queue_destroy(static_cast<rd_kafka_queue_t*>(queue_));
  if (rk_) {
    listener_ = nullptr;  // the listener may be gone already; a revoke now only unassigns
    if (!closed_) rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }
}

void KafkaSource::subscribe(RebalanceListener& listener) {
  listener_ = &listener;
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic_.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err) throw std::runtime_error("kafka subscribe to " + topic_ + ": " + rd_kafka_err2str(err));
}

void KafkaSource::close() {
  if (closed_) return;
  closed_ = true;
  const rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_);
  if (err) log::warn("kafka", "leaving the group: %s", rd_kafka_err2str(err));
  rethrow_pending();
}

void KafkaSource::on_rebalance(int err, void* partitions) {
  auto* list = static_cast<rd_kafka_topic_partition_list_t*>(partitions);
  std::vector<uint32_t> parts;
  for (int i = 0; i < list->cnt; ++i) parts.push_back(static_cast<uint32_t>(list->elems[i].partition));
  // Exceptions must not cross librdkafka's frames: kept and thrown from poll().
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    std::map<uint32_t, int64_t> start;
    try {
      if (listener_) start = listener_->on_assigned(parts);
    } catch (...) {
      pending_error_ = std::current_exception();
      rd_kafka_assign(rk_, nullptr);
      return;
    }
    for (int i = 0; i < list->cnt; ++i) {
      auto it = start.find(static_cast<uint32_t>(list->elems[i].partition));
      list->elems[i].offset = it == start.end() ? RD_KAFKA_OFFSET_BEGINNING : it->second;
    }
    if (const rd_kafka_resp_err_t e = rd_kafka_assign(rk_, list))
      pending_error_ = std::make_exception_ptr(std::runtime_error(std::string("kafka assign: ") + rd_kafka_err2str(e)));
  } else {
    const bool lost = rd_kafka_assignment_lost(rk_) != 0;
    try {
      if (listener_) listener_->on_revoked(parts, lost);
    } catch (...) {
      pending_error_ = std::current_exception();
    }
    rd_kafka_assign(rk_, nullptr);
  }
}

void KafkaSource::rethrow_pending() {
  if (pending_error_) std::rethrow_exception(std::exchange(pending_error_, nullptr));
}

std::optional<std::vector<uint32_t>> KafkaSource::partitions(int timeout_ms) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk_, topic_.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 0, t, &md, timeout_ms);
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
  const rd_kafka_resp_err_t err = rd_kafka_assign(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) throw std::runtime_error(std::string("kafka assign: ") + rd_kafka_err2str(err));
}

MessageBatch KafkaSource::poll(size_t max, int timeout_ms) {
  // librdkafka's batch call waits out its whole timeout unless `max` messages arrive, so it
  // is called in short slices: return as soon as the local queue runs dry after something
  // arrived, or at the deadline.
  rd_kafka_poll(rk_, 0);  // the main queue: statistics (is a broker up?)
  watch_.check(brokers_);
  MessageBatch batch;
  std::vector<rd_kafka_message_t*> msgs(max);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (batch.size() < max) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int slice = batch.empty() ? static_cast<int>(std::clamp<int64_t>(left.count(), 0, 10)) : 0;
    const ssize_t n = rd_kafka_consume_batch_queue(static_cast<rd_kafka_queue_t*>(queue_), slice, msgs.data(),
                                                   max - batch.size());
    if (n < 0) throw std::runtime_error(std::string("kafka consume: ") + rd_kafka_err2str(rd_kafka_last_error()));
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = msgs[static_cast<size_t>(i)];
      if (m->err) {
        char fatal[512];
        if (rd_kafka_fatal_error(rk_, fatal, sizeof fatal)) {
          for (ssize_t j = i; j < n; ++j) rd_kafka_message_destroy(msgs[static_cast<size_t>(j)]);
          throw std::runtime_error(std::string("kafka fatal error: ") + fatal);
        }
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
          log::warn("kafka", "%s (transient, retrying)", rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        continue;
      }
      batch.add(m);
    }
    rethrow_pending();  // a rebalance callback failed
    if (n == 0 && (!batch.empty() || std::chrono::steady_clock::now() >= deadline)) break;
  }
  return batch;
}

void KafkaSource::commit(const std::map<uint32_t, int64_t>& next_offset) {
  if (next_offset.empty()) return;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(next_offset.size()));
  for (const auto& [p, off] : next_offset) rd_kafka_topic_partition_list_add(list, topic_.c_str(), static_cast<int32_t>(p))->offset = off;
  const rd_kafka_resp_err_t err = rd_kafka_commit(rk_, list, 0);
  rd_kafka_topic_partition_list_destroy(list);
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
    log::warn("kafka", "%s (will retry at the next checkpoint)", rd_kafka_err2str(err));
}

bool KafkaSource::caught_up(const std::vector<uint32_t>& parts, const std::map<uint32_t, int64_t>& next_offset,
                            int timeout_ms) {
  for (uint32_t p : parts) {
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(rk_, topic_.c_str(), static_cast<int32_t>(p), &lo, &hi, timeout_ms) !=
        RD_KAFKA_RESP_ERR_NO_ERROR)
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
    if (rd_kafka_get_watermark_offsets(rk_, topic_.c_str(), static_cast<int32_t>(p), &lo, &hi) !=
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
