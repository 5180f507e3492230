// --kafka-timeout, the same on every command that talks to Kafka: how long no broker may
// answer before the command fails (exit status 1) instead of waiting for ever.
#pragma once
#include <CLI/CLI.hpp>

#include <chrono>
#include <string>

namespace clickagg::cli {

struct KafkaTimeout {
  std::string text = "30s";
  void add_to(CLI::App& cmd);
  std::chrono::milliseconds value() const;  // zero: wait for ever
};

}  // namespace clickagg::cli
