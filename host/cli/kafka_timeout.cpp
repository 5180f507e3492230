#include "host/cli/kafka_timeout.h"

#include "host/cli/duration_arg.h"

namespace clickagg::cli {

void KafkaTimeout::add_to(CLI::App& cmd) {
  cmd.add_option("--kafka-timeout", text,
                 "Fail when no Kafka broker has answered for this long (0: wait for ever)")
      ->capture_default_str();
}

std::chrono::milliseconds KafkaTimeout::value() const { return duration_arg("--kafka-timeout", text); }

}  // namespace clickagg::cli
