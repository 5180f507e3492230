// Whether any Kafka broker answers, for clients that must not wait for ever: librdkafka
// reconnects silently and without end, so a consumer or producer facing dead brokers would
// otherwise look healthy (no error, lag 0) while doing nothing. Fed by librdkafka's statistics
// (one JSON document a second, served by rd_kafka_poll), which list each broker connection's
// state.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <librdkafka/rdkafka.h>

namespace clickagg::kafka {

class BrokerWatch {
 public:
  // `timeout`: how long no broker may answer before check() fails; zero waits for ever.
  explicit BrokerWatch(std::chrono::milliseconds timeout);

  // Sets statistics.interval.ms on a configuration whose owner forwards its statistics
  // callback to on_statistics().
  static void enable_statistics(rd_kafka_conf_t* conf);

  // One statistics document: up when a broker connection (not librdkafka's internal one) is UP.
  void on_statistics(std::string_view json);

  // Up in the latest statistics. False before the first statistics arrive.
  bool up() const { return up_.load(std::memory_order_relaxed); }
  // Milliseconds since a broker was last seen up (since construction when never).
  int64_t silent_ms() const;
  // Throws std::runtime_error naming `brokers` and the time waited once no broker has
  // answered for the timeout.
  void check(const std::string& brokers) const;
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  static int64_t now_ms();
  std::chrono::milliseconds timeout_;
  std::atomic<bool> up_{false};
  std::atomic<int64_t> last_up_ms_;
};

// True when a statistics document shows a broker connection in state UP (exposed for tests).
bool any_broker_up(std::string_view statistics_json);

}  // namespace clickagg::kafka
