// watch_topic_dump --brokers B --topic T --out FILE
// Writes every message of a topic, each partition from its start to its end at the time of
// the call, as JSON lines {"partition":P,"offset":O,"key":K,"value":V}: how the watcher's
// integration test reads back what reached the broker.
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/kafka/kafka_config.h"
#include "host/kafka/kafka_errors.h"

namespace {

using namespace clickagg::kafka;

std::vector<int32_t> partitions_of(rd_kafka_t* rk, const std::string& topic) {
  TopicPtr t(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  const rd_kafka_metadata_t* md = nullptr;
  if (const auto err = rd_kafka_metadata(rk, 0, t.get(), &md, 10000))
    throw std::runtime_error(std::string("metadata: ") + rd_kafka_err2str(err));
  std::vector<int32_t> out;
  for (int i = 0; i < md->topic_cnt; ++i)
    for (int p = 0; p < md->topics[i].partition_cnt; ++p) out.push_back(md->topics[i].partitions[p].id);
  rd_kafka_metadata_destroy(md);
  if (out.empty()) throw std::runtime_error("topic " + topic + " has no partitions");
  return out;
}

int dump(const std::string& brokers, const std::string& topic, const std::string& out_path) {
  const std::string group = "watch-dump-" + std::to_string(::getpid());
  HandlePtr rk = KafkaConfig({{"bootstrap.servers", brokers},
                              {"group.id", group},
                              {"enable.auto.commit", "false"},
                              {"enable.partition.eof", "true"},
                              {"auto.offset.reset", "earliest"}})
                     .create(RD_KAFKA_CONSUMER);
  std::map<int32_t, int64_t> end;  // partition -> end offset, until reached
  for (int32_t p : partitions_of(rk.get(), topic)) {
    int64_t lo = 0, hi = 0;
    if (const auto err = rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), p, &lo, &hi, 10000))
      throw std::runtime_error(std::string("watermarks: ") + rd_kafka_err2str(err));
    if (hi > lo) end[p] = hi;
  }
  std::ofstream out(out_path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + out_path);
  if (!end.empty()) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(end.size())));
    for (const auto& [p, hi] : end)
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    if (const auto err = rd_kafka_assign(rk.get(), list.get()))
      throw std::runtime_error(std::string("assign: ") + rd_kafka_err2str(err));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!end.empty()) {
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("timed out reading the topic");
      MessagePtr m(rd_kafka_consumer_poll(rk.get(), 200));
      if (!m) continue;
      if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          if (auto it = end.find(m->partition); it != end.end() && m->offset >= it->second) end.erase(it);
          continue;
        }
        if (classify(rk.get(), m->err) == ErrorClass::Fatal)
          throw std::runtime_error(std::string("consume: ") + rd_kafka_err2str(m->err));
        continue;
      }
      auto it = end.find(m->partition);
      if (it == end.end() || m->offset >= it->second) continue;
      if (m->offset + 1 >= it->second) end.erase(it);
      const nlohmann::json j = {
          {"partition", m->partition},
          {"offset", m->offset},
          {"key", m->key ? std::string(static_cast<const char*>(m->key), m->key_len) : std::string()},
          {"value", std::string(static_cast<const char*>(m->payload), m->len)}};
      out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }
  }
  rd_kafka_consumer_close(rk.get());
  out.close();
  if (!out) throw std::runtime_error("cannot write " + out_path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers, topic, out;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--brokers") brokers = argv[i + 1];
    else if (a == "--topic") topic = argv[i + 1];
    else if (a == "--out") out = argv[i + 1];
  }
  if (brokers.empty() || topic.empty() || out.empty()) {
    std::fprintf(stderr, "usage: watch_topic_dump --brokers B --topic T --out FILE\n");
    return 2;
  }
  try {
    return dump(brokers, topic, out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "watch_topic_dump: %s\n", e.what());
    return 1;
  }
}
