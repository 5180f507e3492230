#include "host/ops/kafka_topic_source.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <stdexcept>
#include <vector>

#include "host/decode/record_decoder.h"
#include "host/kafka/kafka_consumer.h"
#include "host/kafka/kafka_handles.h"

namespace clickagg::ops {

namespace {

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
  kafka::ConsumerOptions options;
  options.brokers = cfg_.brokers;
  options.group = kafka::fresh_group_id("clickagg-recount");  // assign() needs one; never committed to
  options.extra = cfg_.settings;
  kafka::KafkaConsumer consumer(options);
  rd_kafka_t* rk = consumer.handle();
  // Where each partition ends now: the read stops there.
  std::map<int32_t, int64_t> end;
  for (int32_t p : topic_partitions(rk, cfg_.topic, cfg_.stall_timeout_ms)) {
    int64_t lo = 0, hi = 0;
    const rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(rk, cfg_.topic.c_str(), p, &lo, &hi, cfg_.stall_timeout_ms);
    if (err) throw std::runtime_error("kafka end offsets of " + cfg_.topic + ": " + rd_kafka_err2str(err));
    if (hi > lo) end[p] = hi;
  }
  if (end.empty()) return;

  // One partition after the other, each from its beginning to its end: the recount's order
  // (event_source.h).
  std::vector<rd_kafka_message_t*> raw(cfg_.batch_max);
  std::vector<kafka::MessagePtr> held;  // the decoded events view their payloads
  std::vector<Event> events;
  RecordDecoder decoder(cfg_.format);
  for (const auto& [partition, end_offset] : end) {
    kafka::PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), cfg_.topic.c_str(), partition)->offset = RD_KAFKA_OFFSET_BEGINNING;
    if (const rd_kafka_resp_err_t err = rd_kafka_assign(rk, list.get()))
      throw std::runtime_error(std::string("kafka assign: ") + rd_kafka_err2str(err));
    bool done = false;
    auto last_progress = std::chrono::steady_clock::now();
    while (!done) {
      const size_t n = consumer.consume(200, raw.data(), raw.size());
      held.clear();
      events.clear();
      decoder.release();
      for (size_t i = 0; i < n; ++i) {
        kafka::MessagePtr m(raw[i]);
        if (m->partition != partition || m->offset >= end_offset) continue;  // not part of this read
        if (m->offset + 1 >= end_offset) done = true;
        ++records_;
        Event ev;
        const std::string_view value(static_cast<const char*>(m->payload), m->len);
        if (decoder.into(ev, value)) {
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
        kafka::PartitionListPtr pos(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(pos.get(), cfg_.topic.c_str(), partition);
        if (rd_kafka_position(rk, pos.get()) == RD_KAFKA_RESP_ERR_NO_ERROR && pos->elems[0].offset >= end_offset)
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
