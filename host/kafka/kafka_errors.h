// The one place librdkafka's errors are sorted: what a client may ignore, what heals by itself
// (librdkafka retries and reconnects), and what ends the client. Every consumer and producer of
// the project decides by these classes.
#pragma once
#include <librdkafka/rdkafka.h>

#include <optional>
#include <stdexcept>
#include <string>

namespace clickagg::kafka {

enum class ErrorClass {
  Informational,  // not a failure: end of partition, rebalance notices, shutdown
  Transient,      // librdkafka retries or reconnects by itself; log it and carry on
  Fatal,          // this client cannot continue (rd_kafka_fatal_error, auth, bad config)
};
const char* error_class_name(ErrorClass c);

ErrorClass classify(rd_kafka_resp_err_t err);

// For RD_KAFKA_RESP_ERR__FATAL this looks up the underlying error with
// rd_kafka_fatal_error(); `text` gets librdkafka's description of it.
ErrorClass classify(rd_kafka_t* rk, rd_kafka_resp_err_t err, std::string* text = nullptr);

// The fatal error raised on `rk`, or nullopt while it has none.
std::optional<std::string> fatal_error(rd_kafka_t* rk);

class KafkaError : public std::runtime_error {
 public:
  KafkaError(rd_kafka_resp_err_t code, ErrorClass cls, const std::string& what)
      : std::runtime_error(what), code_(code), class_(cls) {}
  rd_kafka_resp_err_t code() const { return code_; }
  ErrorClass error_class() const { return class_; }

 private:
  rd_kafka_resp_err_t code_;
  ErrorClass class_;
};

}  // namespace clickagg::kafka
