#include "host/ops/kafka_topic_source.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

#include "host/ingest/kafka_config.h"

namespace clickagg::ops {

namespace {

struct ConsumerDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
using Consumer = std::unique_ptr<rd_kafka_t, ConsumerDeleter>;

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};

Consumer open_consumer(const std::string& brokers,
                       const std::vector<std::pair<std::string, std::string>>& extra) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  // A group of its own (assign() needs one) that is never committed to.
  const std::string group = "clickagg-recount-" + std::to_string(::getpid()) + "-" +
                            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  const std::pair<const char*, std::string> settings[] = {
      {"bootstrap.servers", brokers},      {"group.id", group},
      {"enable.auto.commit", "false"},     {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},   {"auto.offset.reset", "earliest"},
      {"fetch.wait.max.ms", "50"},         {"queued.max.messages.kbytes", "262144"},
  };
  auto set = [&](const std::string& k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error("kafka config " + k + ": " + err);
    }
  };
  for (const auto& [k, v] : settings) set(k, v);
  for (const auto& [k, v] : extra) set(k, v);  // the user's settings (security, timeouts) last
  rd_kafka_conf_set_log_cb(conf, ingest::log_to_stderr);  // librdkafka's lines as the project's log lines
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka consumer: ") + err);
  }
  return Consumer(rk);
}

std::vector<int32_t> topic_partitions(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
  rd_kafka_topic_destroy(t);
  if (err) throw std::runtime_error("kafka metadata for " + topic + ": " + rd_kafka_err2str(err));
  std::vector<int32_t> out;
  std::string problem;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (md->topics[i].err) problem = rd_kafka_err2str(md->topics[i].err);
    for (int p = 0; p < md->topics[i].partition_cnt; ++p) out.push_back(md->topics[i].partitions[p].id);
  }
  rd_kafka_metadata_destroy(md);
  if (out.empty())
    throw std::runtime_error("kafka topic " + topic + " has no partitions" + (problem.empty() ? "" : ": " + problem));
  return out;
}

}  // namespace

void KafkaTopicSource::read(int64_t from_ms, int64_t to_ms, const BatchFn& fn) {
  rejected_ = records_ = 0;
  Consumer rk = open_consumer(cfg_.brokers, cfg_.settings);
  // Where each partition ends now: the read stops there.
  std::map<int32_t, int64_t> end;
  for (int32_t p : topic_partitions(rk.get(), cfg_.topic, cfg_.stall_timeout_ms)) {
    int64_t lo = 0, hi = 0;
    const rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(rk.get(), cfg_.topic.c_str(), p, &lo, &hi, cfg_.stall_timeout_ms);
    if (err) throw std::runtime_error("kafka end offsets of " + cfg_.topic + ": " + rd_kafka_err2str(err));
    if (hi > lo) end[p] = hi;
  }
  if (end.empty()) return;

  // One partition after the other, each from its beginning to its end: the recount's order
  // (event_source.h).
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_get_consumer(rk.get()));
  std::vector<rd_kafka_message_t*> raw(cfg_.batch_max);
  std::vector<Message> held;  // the decoded events view their payloads
  std::vector<Event> events;
  Arena arena;
  for (const auto& [partition, end_offset] : end) {
    std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter> list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), cfg_.topic.c_str(), partition)->offset = RD_KAFKA_OFFSET_BEGINNING;
    if (const rd_kafka_resp_err_t err = rd_kafka_assign(rk.get(), list.get()))
      throw std::runtime_error(std::string("kafka assign: ") + rd_kafka_err2str(err));
    bool done = false;
    auto last_progress = std::chrono::steady_clock::now();
    while (!done) {
      const ssize_t n = rd_kafka_consume_batch_queue(queue.get(), 200, raw.data(), raw.size());
      if (n < 0) throw std::runtime_error(std::string("kafka consume: ") + rd_kafka_err2str(rd_kafka_last_error()));
      held.clear();
      events.clear();
      arena.reset();
      for (ssize_t i = 0; i < n; ++i) {
        Message m(raw[static_cast<size_t>(i)]);
        if (m->err) {
          char fatal[512];
          if (rd_kafka_fatal_error(rk.get(), fatal, sizeof fatal))
            throw std::runtime_error(std::string("kafka fatal error: ") + fatal);
          continue;  // transient (librdkafka retries by itself)
        }
        if (m->partition != partition || m->offset >= end_offset) continue;  // not part of this read
        if (m->offset + 1 >= end_offset) done = true;
        ++records_;
        Event ev;
        const std::string_view value(static_cast<const char*>(m->payload), m->len);
        if (decode_record(cfg_.format, value, ev, arena) != nullptr) {
          ++rejected_;
          continue;
        }
        if (ev.t_ms < from_ms || ev.t_ms >= to_ms) continue;
        ev.position = static_cast<uint64_t>(m->offset);
        events.push_back(ev);
        held.push_back(std::move(m));
      }
      if (!events.empty()) fn(events);
      // Offsets can have gaps (transaction markers, compaction): the consumer's position says
      // when the partition has passed its end even if no record sits at end - 1.
      if (n == 0 && !done) {
        std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter> pos(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(pos.get(), cfg_.topic.c_str(), partition);
        if (rd_kafka_position(rk.get(), pos.get()) == RD_KAFKA_RESP_ERR_NO_ERROR && pos->elems[0].offset >= end_offset)
          done = true;
      }
      const auto now = std::chrono::steady_clock::now();
      if (n > 0) last_progress = now;
      if (!done && cfg_.stall_timeout_ms > 0 && now - last_progress > std::chrono::milliseconds(cfg_.stall_timeout_ms))
        throw std::runtime_error("kafka topic " + cfg_.topic + ": no records for " +
                                 std::to_string(cfg_.stall_timeout_ms / 1000) + " s before its end");
    }
  }
}

}  // namespace clickagg::ops
