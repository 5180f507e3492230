// The project's boundary to librdkafka's C API: owning handles, a configuration builder that
// reports bad keys and values by name, and the one place errors are sorted into what callers
// may ignore, what heals by itself, and what ends a client.
#pragma once
#include <librdkafka/rdkafka.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clickagg::ingest {

// How an error reported by librdkafka should be treated.
enum class ErrorClass {
  Informational,  // not a failure: end of partition, rebalance notices, shutdown
  Transient,      // librdkafka retries or reconnects by itself; log it and carry on
  Fatal,          // this client cannot continue (rd_kafka_fatal_error, auth, bad config)
};
const char* error_class_name(ErrorClass c);

ErrorClass classify(rd_kafka_resp_err_t err);

// For RD_KAFKA_RESP_ERR__FATAL this looks up the underlying error with
// rd_kafka_fatal_error(); `text` gets librdkafka's description of it.
ErrorClass classify(rd_kafka_t* rk, rd_kafka_resp_err_t err, std::string* text = nullptr);

// The fatal error raised on `rk`, or nullopt while it has none.
std::optional<std::string> fatal_error(rd_kafka_t* rk);

class KafkaError : public std::runtime_error {
 public:
  KafkaError(rd_kafka_resp_err_t code, ErrorClass cls, const std::string& what)
      : std::runtime_error(what), code_(code), class_(cls) {}
  rd_kafka_resp_err_t code() const { return code_; }
  ErrorClass error_class() const { return class_; }

 private:
  rd_kafka_resp_err_t code_;
  ErrorClass class_;
};

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

using ConfigPairs = std::vector<std::pair<std::string, std::string>>;

// Builds an rd_kafka_conf_t. Starts with the stderr log callback and an error callback that
// logs by class (lines read "kafka[<client.id>#<type>-<n>] ...");  set() throws std::invalid_argument naming the key, the value and
// librdkafka's reason.
class KafkaConfig {
 public:
  KafkaConfig();
  explicit KafkaConfig(const ConfigPairs& pairs);
  KafkaConfig(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);

  KafkaConfig& set(std::string_view key, std::string_view value);
  KafkaConfig& set(const ConfigPairs& pairs);
  // "key=value", as given on a command line.
  KafkaConfig& set_pair(std::string_view key_eq_value);

  std::optional<std::string> get(std::string_view key) const;

  rd_kafka_conf_t* raw() { return conf_.get(); }

  // Creates the client; the configuration is consumed. Throws std::runtime_error with
  // librdkafka's reason on failure.
  HandlePtr create(rd_kafka_type_t type) &&;

 private:
  ConfPtr conf_;
};

// "host:port,host:port" check for command lines: non-empty, no blanks.
bool plausible_brokers(std::string_view brokers);

// The callbacks KafkaConfig installs, for clients that replace one and still want the rest.
void log_to_stderr(const rd_kafka_t* rk, int level, const char* facility, const char* message);
void log_error_by_class(rd_kafka_t* rk, int err, const char* reason, void* opaque);

}  // namespace clickagg::ingest
