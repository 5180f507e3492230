// Topic creation and deletion through librdkafka's admin API, for tests that need a fresh
// topic on the broker of CLICKAGG_KAFKA_BROKERS.
#pragma once
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "host/kafka/kafka_handles.h"

namespace clickagg::kafka::testing {

inline std::string brokers_from_env() {
  const char* b = std::getenv("CLICKAGG_KAFKA_BROKERS");
  return b ? b : "";
}

// Runs one admin request on `rk` and returns its result event; throws on request errors.
template <class Submit>
EventPtr admin_request(rd_kafka_t* rk, rd_kafka_admin_op_t op, Submit submit) {
  QueuePtr q(rd_kafka_queue_new(rk));
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, op);
  char err[512];
  rd_kafka_AdminOptions_set_operation_timeout(opts, 30000, err, sizeof err);
  rd_kafka_AdminOptions_set_request_timeout(opts, 30000, err, sizeof err);
  submit(opts, q.get());
  rd_kafka_AdminOptions_destroy(opts);
  EventPtr ev(rd_kafka_queue_poll(q.get(), 60000));
  if (!ev) throw std::runtime_error("admin request timed out");
  if (rd_kafka_event_error(ev.get())) {
    throw std::runtime_error(std::string("admin request failed: ") + rd_kafka_event_error_string(ev.get()));
  }
  return ev;
}

inline void check_topic_result(const rd_kafka_topic_result_t* const* results, size_t n, bool tolerate) {
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e && !tolerate) {
      const char* detail = rd_kafka_topic_result_error_string(results[i]);
      throw std::runtime_error(std::string(rd_kafka_topic_result_name(results[i])) + ": " +
                               rd_kafka_err2name(e) + " " + (detail ? detail : ""));
    }
  }
}

inline void create_topic(rd_kafka_t* rk, const std::string& name, int partitions) {
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(name.c_str(), partitions, 1, err, sizeof err);
  if (!nt) throw std::runtime_error(err);
  EventPtr ev = admin_request(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, [&](auto* opts, auto* q) {
    rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
  });
  rd_kafka_NewTopic_destroy(nt);
  size_t n = 0;
  const auto* res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
  check_topic_result(res, n, false);
}

// Best effort: a failed delete leaves a uniquely named topic behind, nothing worse.
inline void delete_topic(rd_kafka_t* rk, const std::string& name) {
  rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(name.c_str());
  try {
    admin_request(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, [&](auto* opts, auto* q) {
      rd_kafka_DeleteTopics(rk, &dt, 1, opts, q);
    });
  } catch (const std::exception&) {
  }
  rd_kafka_DeleteTopic_destroy(dt);
}

}  // namespace clickagg::kafka::testing
