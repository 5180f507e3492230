// Options every engine-driving subcommand shares (delay, lateness, top-N, filters, engine),
// declared once and turned into an EngineConfig.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "host/engine/engine.h"

namespace clickagg::cli {

struct EngineOptions {
  std::string delay = "15s";
  std::string allowed_lateness = "10m";
  uint32_t top = 100;
  std::string topn_windows = "1";
  std::string filters_path;
  std::string engine = "auto";
  unsigned threads = 0;
  std::string max_future;  // empty: not given, 10m

  void add_to(CLI::App& cmd);
  // Throws UsageError with a one-line message on a bad value.
  EngineConfig config() const;
  EngineKind kind() const;
};

// `--max-future`: a duration, or "off" (nullopt). Throws UsageError naming `flag` otherwise.
std::optional<int64_t> parse_max_future(const std::string& text, const char* flag = "--max-future");

}  // namespace clickagg::cli
