// --kafka-timeout, the same on every command that talks to Kafka: how long no broker may
// answer before the command fails (exit status 1) instead of waiting for ever.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "host/cli/settings.h"

namespace clickagg::cli {

struct KafkaTimeout {
  std::string text;  // the settings table's default once bound
  void add_to(CommandSettings& settings) { settings.bind("kafka-timeout", text); }
  std::chrono::milliseconds value() const;  // zero: wait for ever
  // As librdkafka's int milliseconds: -1 (for ever) for zero, at most INT_MAX.
  int librdkafka_ms() const;
};

// A start-up question to the brokers (`ask`: one try of at most the given milliseconds,
// nullopt when no broker answered) asked again until it is answered, the timeout passes
// (std::runtime_error naming `brokers`) or `stop` is set (nullopt): a stop signal is obeyed
// within a second even while no broker answers.
template <class T>
std::optional<T> ask_brokers(const std::function<std::optional<T>(int)>& ask, std::chrono::milliseconds timeout,
                             const std::atomic<bool>& stop, const std::string& brokers) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!stop.load()) {
    const auto tried = std::chrono::steady_clock::now();
    if (std::optional<T> answer = ask(1000)) return answer;
    std::this_thread::sleep_until(tried + std::chrono::milliseconds(200));  // a refused connection returns at once
    if (timeout.count() > 0 && std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("no Kafka broker at " + brokers + " answered within " +
                               std::to_string(timeout.count() / 1000) + " s (--kafka-timeout)");
  }
  return std::nullopt;
}

}  // namespace clickagg::cli
