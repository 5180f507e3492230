// Input from one Kafka topic: all of its partitions assigned to this aggregator at offsets the
// aggregator chooses (its checkpoint is the source of truth; the consumer group's committed
// offsets are written for monitoring and tooling). Messages come in micro-batches.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_message_s;

namespace clickagg::stream {

struct KafkaMessage {
  uint32_t partition;
  int64_t offset;
  std::string_view value;
};

// Owns the librdkafka messages it hands out.
class MessageBatch {
 public:
  MessageBatch() = default;
  ~MessageBatch();
  MessageBatch(MessageBatch&& o) noexcept;
  MessageBatch& operator=(MessageBatch&& o) noexcept;
  const std::vector<KafkaMessage>& messages() const { return view_; }
  size_t size() const { return view_.size(); }
  bool empty() const { return view_.empty(); }
  void add(rd_kafka_message_s* m);
  void append(MessageBatch&& other);

 private:
  std::vector<rd_kafka_message_s*> raw_;
  std::vector<KafkaMessage> view_;
};

class KafkaSource {
 public:
  KafkaSource(const std::string& brokers, const std::string& topic, const std::string& group,
              const std::map<std::string, std::string>& extra_config = {});
  ~KafkaSource();

  const std::string& topic() const { return topic_; }
  // Partition ids of the topic (waits for metadata; throws if the topic does not exist).
  std::vector<uint32_t> partitions(int timeout_ms = 10'000);
  // Starts reading every listed partition at its offset (absent: from the beginning).
  void assign(const std::vector<uint32_t>& partitions, const std::map<uint32_t, int64_t>& next_offset);
  // Up to `max` messages within `timeout_ms`; errors are logged and skipped when transient,
  // thrown when fatal.
  MessageBatch poll(size_t max, int timeout_ms);
  // Commits next offsets for the group (synchronous).
  void commit(const std::map<uint32_t, int64_t>& next_offset);
  // True when every listed partition has been read up to the broker's high watermark (asks
  // the broker; false when it cannot answer within `timeout_ms`).
  bool caught_up(const std::vector<uint32_t>& partitions, const std::map<uint32_t, int64_t>& next_offset,
                 int timeout_ms);
  // High watermark minus next offset per listed partition (absent from `next_offset`: read from
  // the beginning): records not yet consumed. From the watermarks librdkafka last fetched, so
  // it asks the broker nothing; a partition it knows nothing of yet is left out.
  std::map<uint32_t, int64_t> lag(const std::vector<uint32_t>& partitions,
                                  const std::map<uint32_t, int64_t>& next_offset);

 private:
  std::string topic_;
  rd_kafka_s* rk_ = nullptr;
  void* queue_ = nullptr;  // rd_kafka_queue_t*
};

}  // namespace clickagg::stream
