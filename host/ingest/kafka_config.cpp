#include "host/ingest/kafka_config.h"

#include <cstdio>

#include "host/common/log.h"

namespace clickagg::ingest {

const char* error_class_name(ErrorClass c) {
  switch (c) {
    case ErrorClass::Informational: return "informational";
    case ErrorClass::Transient: return "transient";
    case ErrorClass::Fatal: return "fatal";
  }
  return "?";
}

ErrorClass classify(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
    case RD_KAFKA_RESP_ERR__PARTITION_EOF:
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
    case RD_KAFKA_RESP_ERR__DESTROY:
    case RD_KAFKA_RESP_ERR__NOOP:
    case RD_KAFKA_RESP_ERR__NO_OFFSET:
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    case RD_KAFKA_RESP_ERR__NODE_UPDATE:
      return ErrorClass::Informational;

    // The client is unusable: raised fatal errors, fencing, security and configuration that
    // no retry will change.
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__INVALID_TYPE:
    case RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR__NOT_CONFIGURED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE:
    case RD_KAFKA_RESP_ERR__FS:
    case RD_KAFKA_RESP_ERR__GAPLESS_GUARANTEE:
    case RD_KAFKA_RESP_ERR__INCONSISTENT:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM:
    case RD_KAFKA_RESP_ERR_ILLEGAL_SASL_STATE:
    case RD_KAFKA_RESP_ERR_UNACCEPTABLE_CREDENTIAL:
    case RD_KAFKA_RESP_ERR_SECURITY_DISABLED:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_COMPRESSION_TYPE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
    case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
    case RD_KAFKA_RESP_ERR_INVALID_SESSION_TIMEOUT:
    case RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL:
    case RD_KAFKA_RESP_ERR_GROUP_MAX_SIZE_REACHED:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_TRANSACTION_COORDINATOR_FENCED:
    case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_TOPIC_DELETION_DISABLED:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
      return ErrorClass::Fatal;

    // Everything else (broker down, transport, leader moves, timeouts, coordinator churn,
    // a topic not yet in the metadata) is retried by librdkafka; a raised fatal error always
    // arrives as RD_KAFKA_RESP_ERR__FATAL.
    default:
      return ErrorClass::Transient;
  }
}

ErrorClass classify(rd_kafka_t* rk, rd_kafka_resp_err_t err, std::string* text) {
  if (err == RD_KAFKA_RESP_ERR__FATAL && rk) {
    if (auto why = fatal_error(rk)) {
      if (text) *text = *why;
      return ErrorClass::Fatal;
    }
  }
  if (text) *text = rd_kafka_err2str(err);
  return classify(err);
}

std::optional<std::string> fatal_error(rd_kafka_t* rk) {
  char buf[512];
  const rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk, buf, sizeof buf);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return std::string(rd_kafka_err2name(err)) + ": " + buf;
}

void log_to_stderr(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  // syslog levels: 0-3 errors, 4 warnings, 5-6 notices and information, 7 debugging.
  const log::Level lvl = level <= 3 ? log::Level::Error : level == 4 ? log::Level::Warn
                         : level <= 6 ? log::Level::Info : log::Level::Debug;
  log::write(lvl, "kafka", std::string("[") + (rk ? rd_kafka_name(rk) : "-") + "] " + facility + ": " + message);
}

void log_error_by_class(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  std::string text;
  const ErrorClass cls = classify(rk, code, &text);
  // Transport failures are already in the log as FAIL lines; printing them twice only adds
  // noise while a broker restarts.
  if (cls == ErrorClass::Informational || code == RD_KAFKA_RESP_ERR__TRANSPORT) return;
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    log::error("kafka", "[%s] fatal error: %s", rd_kafka_name(rk), text.c_str());
  } else {
    log::error("kafka", "[%s] %s error %s: %s", rd_kafka_name(rk), error_class_name(cls), rd_kafka_err2name(code),
               reason);
  }
}

KafkaConfig::KafkaConfig() : conf_(rd_kafka_conf_new()) {
  rd_kafka_conf_set_log_cb(conf_.get(), log_to_stderr);
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

}  // namespace clickagg::ingest
