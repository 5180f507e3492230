#include "host/kafka/kafka_config.h"

#include <stdexcept>

#include "host/kafka/kafka_log.h"

namespace clickagg::kafka {

KafkaConfig::KafkaConfig() : conf_(rd_kafka_conf_new()) {
  rd_kafka_conf_set_log_cb(conf_.get(), log_to_project_log);
  rd_kafka_conf_set_error_cb(conf_.get(), log_error_by_class);
}

KafkaConfig::KafkaConfig(const ConfigPairs& pairs) : KafkaConfig() { set(pairs); }

KafkaConfig::KafkaConfig(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs)
    : KafkaConfig() {
  for (const auto& [k, v] : pairs) set(k, v);
}

KafkaConfig& KafkaConfig::set(std::string_view key, std::string_view value) {
  const std::string k(key), v(value);
  char err[512] = "";
  if (rd_kafka_conf_set(conf_.get(), k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    throw std::invalid_argument("kafka config " + k + "=" + v + ": " + err);
  }
  return *this;
}

KafkaConfig& KafkaConfig::set(const ConfigPairs& pairs) {
  for (const auto& [k, v] : pairs) set(k, v);
  return *this;
}

KafkaConfig& KafkaConfig::set_pair(std::string_view key_eq_value) {
  const size_t eq = key_eq_value.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw std::invalid_argument("kafka config '" + std::string(key_eq_value) + "': expected key=value");
  }
  return set(key_eq_value.substr(0, eq), key_eq_value.substr(eq + 1));
}

std::optional<std::string> KafkaConfig::get(std::string_view key) const {
  const std::string k(key);
  size_t size = 0;
  if (rd_kafka_conf_get(conf_.get(), k.c_str(), nullptr, &size) != RD_KAFKA_CONF_OK) return std::nullopt;
  std::string value(size, '\0');
  if (rd_kafka_conf_get(conf_.get(), k.c_str(), value.data(), &size) != RD_KAFKA_CONF_OK) return std::nullopt;
  if (!value.empty() && value.back() == '\0') value.pop_back();
  return value;
}

HandlePtr KafkaConfig::create(rd_kafka_type_t type) && {
  char err[512] = "";
  rd_kafka_t* rk = rd_kafka_new(type, conf_.get(), err, sizeof err);
  if (!rk) {
    throw std::runtime_error(std::string("cannot create kafka ") +
                             (type == RD_KAFKA_PRODUCER ? "producer" : "consumer") + ": " + err);
  }
  (void)conf_.release();  // rd_kafka_new owns it now
  return HandlePtr(rk);
}

bool plausible_brokers(std::string_view brokers) {
  if (brokers.empty()) return false;
  for (char c : brokers) {
    if (c == ' ' || c == '\t' || c == '\n') return false;
  }
  return brokers.front() != ',' && brokers.back() != ',';
}

}  // namespace clickagg::kafka
