// The project's Kafka consumers, all made here: their owner picks every start offset (a
// checkpoint, the archive's state, a topic's beginning) and nothing is committed behind its
// back; librdkafka's lines go to the project's log; an error that ends the client is thrown
// from consume(), while transient ones are logged and left to librdkafka's retries.
#pragma once
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "host/kafka/broker_watch.h"
#include "host/kafka/kafka_config.h"
#include "host/kafka/kafka_handles.h"

namespace clickagg::kafka {

// How far a consumer fetches ahead of its reader.
enum class Prefetch {
  Bounded,  // up to 256 MiB queued: a one-off read beside the live consumers
  // Up to 1 GiB and a million messages: with librdkafka's defaults the local queue runs dry
  // between fetches and a consumer catching up waits on the network instead of working.
  Deep,
};

struct ConsumerOptions {
  std::string brokers;  // bootstrap.servers
  std::string group;    // group.id; assign() needs one even where the group decides nothing
  Prefetch prefetch = Prefetch::Bounded;
  // When set, librdkafka's statistics feed a BrokerWatch with this timeout (zero: it never
  // fails) and consume() throws once no broker has answered for it.
  std::optional<std::chrono::milliseconds> broker_timeout;
  ConfigPairs extra;  // client.id, --kafka-option pairs: applied after the settings above
};

class KafkaConsumer {
 public:
  // The group's decisions, on the polling thread; it must assign or unassign the partitions.
  // Without one, librdkafka assigns what the group decides.
  using RebalanceFn = std::function<void(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions)>;

  // Throws std::invalid_argument for a bad setting, std::runtime_error when librdkafka
  // refuses to create the client.
  explicit KafkaConsumer(const ConsumerOptions& options, RebalanceFn on_rebalance = {});
  // Leaves the group unless close() did (the rebalance function hears the revoke).
  ~KafkaConsumer();
  KafkaConsumer(const KafkaConsumer&) = delete;
  KafkaConsumer& operator=(const KafkaConsumer&) = delete;

  rd_kafka_t* handle() const { return rk_.get(); }
  // The consumer queue, where records and their errors arrive.
  rd_kafka_queue_t* queue() const { return queue_.get(); }
  // The broker watch; null without options.broker_timeout.
  const BrokerWatch* broker_watch() const { return watch_ ? &*watch_ : nullptr; }

  // Leaves the group and stops fetching; a failure to leave cleanly is logged. Idempotent.
  // With a rebalance function, the revoke of what is assigned is served before the group is
  // left (see hand_back_partitions).
  void close();

  // Up to `max` records into `out` within `timeout_ms`; the caller destroys them. Serves the
  // main queue first (statistics, error callbacks), then throws if the broker watch has run
  // out. A message that carries an error is not returned: when it ends the client it is
  // thrown as KafkaError, when transient it is logged.
  size_t consume(int timeout_ms, rd_kafka_message_t** out, size_t max);

 private:
  static void rebalance_trampoline(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list,
                                   void* opaque);
  static int statistics_trampoline(rd_kafka_t* rk, char* json, size_t len, void* opaque);
  // With a rebalance function: unsubscribes and serves the revoke before the close.
  void hand_back_partitions();

  std::string brokers_;
  std::optional<BrokerWatch> watch_;
  RebalanceFn on_rebalance_;
  HandlePtr rk_;
  QueuePtr queue_;
  bool closed_ = false;
};

// A group id no other consumer has, for a read that assigns its partitions itself and
// commits nothing ("<prefix>-<pid>-<clock>").
std::string fresh_group_id(std::string_view prefix);

}  // namespace clickagg::kafka
