#include "host/cli/kafka_timeout.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "host/cli/duration_arg.h"

namespace clickagg::cli {

void KafkaTimeout::add_to(CLI::App& cmd) {
  cmd.add_option("--kafka-timeout", text,
                 "Fail when no Kafka broker has answered for this long (0: wait for ever)")
      ->capture_default_str();
}

std::chrono::milliseconds KafkaTimeout::value() const { return duration_arg("--kafka-timeout", text); }

int KafkaTimeout::librdkafka_ms() const {
  const int64_t ms = value().count();
  return ms == 0 ? -1 : static_cast<int>(std::min<int64_t>(ms, std::numeric_limits<int>::max()));
}

}  // namespace clickagg::cli
