#include "host/cli/kafka_settings.h"

#include <stdexcept>

#include "host/cli/commands.h"
#include "host/kafka/kafka_config.h"

namespace clickagg::cli {

std::vector<std::pair<std::string, std::string>> KafkaSettings::pairs() const {
  std::vector<std::pair<std::string, std::string>> out;
  kafka::KafkaConfig check;  // librdkafka's own judgement of each key and value
  for (const std::string& kv : given) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("bad --kafka-option '" + kv + "' (expected KEY=VALUE)");
    try {
      check.set_pair(kv);
    } catch (const std::invalid_argument& e) {
      throw UsageError("bad --kafka-option: " + std::string(e.what()));
    }
    out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

}  // namespace clickagg::cli
