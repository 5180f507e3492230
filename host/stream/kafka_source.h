// Input from one Kafka topic as a member of a consumer group: the group assigns partitions
// (eager "range" protocol), and the member starts each at the offset it chooses (its checkpoint
// is the source of truth; the group's committed offsets are written for monitoring and
// tooling). Messages come in micro-batches. A source may also be assigned partitions directly,
// without the group deciding (tools that read a whole topic).
#pragma once
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "host/kafka/kafka_consumer.h"

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
  void add(rd_kafka_message_t* m);
  void append(MessageBatch&& other);

 private:
  std::vector<rd_kafka_message_t*> raw_;
  std::vector<KafkaMessage> view_;
};

// Told about the group's decisions from inside poll(), on the polling thread.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // Partitions given to this member; returns where to start each (absent: the beginning).
  virtual std::map<uint32_t, int64_t> on_assigned(const std::vector<uint32_t>& partitions) = 0;
  // Partitions taken away. `lost`: the group already gave them to someone else (this member
  // missed its session), so nothing may be committed for them any more.
  virtual void on_revoked(const std::vector<uint32_t>& partitions, bool lost) = 0;
};

class KafkaSource {
 public:
  // `broker_timeout`: poll() throws once no broker has answered for this long (zero: never).
  KafkaSource(const std::string& brokers, const std::string& topic, const std::string& group,
              const std::map<std::string, std::string>& extra_config = {},
              std::chrono::milliseconds broker_timeout = std::chrono::milliseconds(0));
  ~KafkaSource();

  const std::string& topic() const { return topic_; }
  // Partition ids of the topic; nullopt when no broker answered within `timeout_ms`; throws
  // when the topic does not exist.
  std::optional<std::vector<uint32_t>> partitions(int timeout_ms = 10'000);
  // Starts reading every listed partition at its offset (absent: from the beginning).
  void assign(const std::vector<uint32_t>& partitions, const std::map<uint32_t, int64_t>& next_offset);
  // Joins the group for the topic; partitions arrive through `listener`.
  void subscribe(RebalanceListener& listener);
  // Leaves the group (revoking what is assigned, through the listener) and stops fetching.
  void close();
  // Up to `max` messages within `timeout_ms`; errors are logged and skipped when transient,
  // thrown when fatal or when no broker has answered for the broker timeout.
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
  // Whether a broker answers (librdkafka's statistics, refreshed each second by poll()), and
  // for how long none has: watermarks cached from before are no lag figure once it is down.
  bool broker_up() const { return consumer_.broker_watch()->up(); }
  int64_t broker_silent_ms() const { return consumer_.broker_watch()->silent_ms(); }

 private:
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list);
  void rethrow_pending();

  std::string topic_;
  RebalanceListener* listener_ = nullptr;
  std::exception_ptr pending_error_;  // thrown by the listener inside a librdkafka callback
  kafka::KafkaConsumer consumer_;     // last: it closes first, while what its rebalances use lives
};

}  // namespace clickagg::stream
