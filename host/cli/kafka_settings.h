// --kafka-option KEY=VALUE, the same on every command that talks to Kafka: any librdkafka
// setting (security.protocol, sasl.*, ssl.*, timeouts), so a secured cluster works for all of
// them. Each pair is checked against librdkafka's own configuration before anything starts.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "host/cli/settings.h"

namespace clickagg::cli {

struct KafkaSettings {
  std::vector<std::string> given;  // as typed: KEY=VALUE
  void add_to(CommandSettings& settings) { settings.bind("kafka-option", given); }
  // The pairs, in order; UsageError naming the pair and librdkafka's reason for a malformed
  // pair, an unknown key or a bad value.
  std::vector<std::pair<std::string, std::string>> pairs() const;
};

}  // namespace clickagg::cli
