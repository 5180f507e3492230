// Options every engine-driving subcommand shares (delay, lateness, top-N, filters, engine),
// declared once and turned into an EngineConfig.
#pragma once
#include <optional>
#include <string>
#include <vector>


#include "host/cli/settings.h"
#include "host/engine/engine.h"
#include "host/engines/engines.h"

namespace clickagg::cli {

struct EngineOptions {
  // Set by the settings table's defaults once bound; what a command does not take stays
  // empty (zero) and config() leaves EngineConfig's own value.
  std::string delay;
  std::string allowed_lateness;
  uint32_t top = 0;
  std::string topn_windows;
  std::string filters_path;
  std::string engine = "auto";
  unsigned threads = 0;
  std::string max_future;  // empty: not given, 10m

  // Binds the engine settings the command takes (replay and reconcile take a subset).
  void add_to(CommandSettings& settings);
  // Throws UsageError with a one-line message on a bad value.
  EngineConfig config() const;
  EngineKind kind() const;
};

// `--max-future`: a duration, or "off" (nullopt). Throws UsageError naming `flag` otherwise.
std::optional<int64_t> parse_max_future(const std::string& text, const char* flag = "--max-future");

}  // namespace clickagg::cli
