// Where the watcher's accepted lines go. Kafka in production (KafkaLineSink); tests that are
// about files rather than Kafka use their own.
#pragma once
#include <string>
#include <string_view>

namespace clickagg::watch {

class LineSink {
 public:
  virtual ~LineSink() = default;
  // Queues one line (without its newline) under `key`; both are copied.
  virtual void send(std::string_view key, std::string_view line) = 0;
  // Waits until every line sent since the previous call is acknowledged (true) or at least
  // one of them can no longer be (false, with the reason in *why). Lines of a false round
  // may or may not have arrived; the watcher sends them again.
  virtual bool deliver(std::string* why) = 0;
};

}  // namespace clickagg::watch
