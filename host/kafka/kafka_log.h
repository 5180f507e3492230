// librdkafka's own lines and error callbacks into the project's log (host/common/log.h), under
// the component "kafka" with the client's name: "kafka: [<client.id>#<type>-<n>] ...".
// KafkaConfig installs both on every client.
#pragma once
#include <librdkafka/rdkafka.h>

namespace clickagg::kafka {

// rd_kafka_conf_set_log_cb: syslog levels mapped to the project's (0-3 error, 4 warning,
// 5-6 information, 7 debugging).
void log_to_project_log(const rd_kafka_t* rk, int level, const char* facility, const char* message);

// rd_kafka_conf_set_error_cb: errors logged with their class (kafka_errors.h); informational
// ones are left out. For clients that install their own error callback and still log.
void log_error_by_class(rd_kafka_t* rk, int err, const char* reason, void* opaque);

}  // namespace clickagg::kafka
