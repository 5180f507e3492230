#include "host/kafka/kafka_log.h"

#include <string>

#include "host/common/log.h"
#include "host/kafka/kafka_errors.h"

namespace clickagg::kafka {

void log_to_project_log(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
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

}  // namespace clickagg::kafka
