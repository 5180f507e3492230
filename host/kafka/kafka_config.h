// Configuration of every librdkafka client of the project: a builder that reports bad keys
// and values by name (librdkafka's own judgement, so `--kafka-option` accepts exactly what
// librdkafka does) and that routes the client's log lines and errors into the project's log.
#pragma once
#include <librdkafka/rdkafka.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/kafka/kafka_handles.h"

namespace clickagg::kafka {

using ConfigPairs = std::vector<std::pair<std::string, std::string>>;

// Builds an rd_kafka_conf_t. Starts with kafka_log.h's log and error callbacks; set() throws
// std::invalid_argument naming the key, the value and librdkafka's reason.
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

}  // namespace clickagg::kafka
