#include "host/cli/kafka_timeout.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "host/cli/duration_arg.h"

namespace clickagg::cli {

std::chrono::milliseconds KafkaTimeout::value() const { return duration_arg("--kafka-timeout", text); }

int KafkaTimeout::librdkafka_ms() const {
  const int64_t ms = value().count();
  return ms == 0 ? -1 : static_cast<int>(std::min<int64_t>(ms, std::numeric_limits<int>::max()));
}

}  // namespace clickagg::cli
