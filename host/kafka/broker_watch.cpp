#include "host/kafka/broker_watch.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace clickagg::kafka {

bool any_broker_up(std::string_view statistics_json) {
  const auto doc = nlohmann::json::parse(statistics_json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("brokers") || !doc["brokers"].is_object()) return false;
  for (const auto& [name, b] : doc["brokers"].items()) {
    // The "internal" broker is librdkafka's own queue, always UP; it answers nothing.
    if (b.value("source", "") == "internal") continue;
    if (b.value("state", "") == "UP") return true;
  }
  return false;
}

BrokerWatch::BrokerWatch(std::chrono::milliseconds timeout) : timeout_(timeout), last_up_ms_(now_ms()) {}

void BrokerWatch::enable_statistics(rd_kafka_conf_t* conf) {
  char err[256];
  if (rd_kafka_conf_set(conf, "statistics.interval.ms", "1000", err, sizeof err) != RD_KAFKA_CONF_OK)
    throw std::logic_error(std::string("statistics.interval.ms: ") + err);
}

void BrokerWatch::on_statistics(std::string_view json) {
  const bool up = any_broker_up(json);
  up_.store(up, std::memory_order_relaxed);
  if (up) last_up_ms_.store(now_ms(), std::memory_order_relaxed);
}

int64_t BrokerWatch::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t BrokerWatch::silent_ms() const { return now_ms() - last_up_ms_.load(std::memory_order_relaxed); }

void BrokerWatch::check(const std::string& brokers) const {
  if (timeout_.count() <= 0) return;
  const int64_t silent = silent_ms();
  if (silent < timeout_.count()) return;
  throw std::runtime_error("no Kafka broker at " + brokers + " has answered for " + std::to_string(silent / 1000) +
                           " s (--kafka-timeout " + std::to_string(timeout_.count() / 1000) + "s)");
}

}  // namespace clickagg::kafka
