#include "host/cli/engine_options.h"

#include <charconv>

#include "host/cli/commands.h"
#include "host/cli/duration_arg.h"
#include "host/common/time_util.h"
#include "host/engines/engines.h"

namespace clickagg::cli {

void EngineOptions::add_to(CommandSettings& s) {
  s.bind_if_taken("delay", delay);
  s.bind_if_taken("allowed-lateness", allowed_lateness);
  s.bind_if_taken("top", top);
  s.bind_if_taken("topn-windows", topn_windows);
  s.bind_if_taken("filters", filters_path);
  s.bind_if_taken("engine", engine);
  s.bind_if_taken("threads", threads);
  s.bind_if_taken("max-future", max_future);
}

std::optional<int64_t> parse_max_future(const std::string& text, const char* flag) {
  if (text == "off") return std::nullopt;
  return duration_arg(flag, text).count();
}

EngineConfig EngineOptions::config() const {
  EngineConfig c;
  if (!delay.empty()) c.delay_ms = duration_arg("--delay", delay).count();
  if (!allowed_lateness.empty()) c.allowed_lateness_ms = duration_arg("--allowed-lateness", allowed_lateness).count();
  if (top != 0) c.top_n = top;  // the table's range keeps a given value in 1..100000
  if (!topn_windows.empty()) {
    c.topn_windows.clear();
    std::string_view rest = topn_windows;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      uint32_t m = 0;
      auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), m);
      if (ec != std::errc{} || p != item.data() + item.size() || m < 1 || m > 10080)
        throw UsageError("bad --topn-windows '" + topn_windows + "' (minutes 1..10080, comma-separated)");
      c.topn_windows.push_back(m);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  if (!filters_path.empty()) {
#if defined(CLICKAGG_HAVE_YAML)
    try {
      c.filters = load_filters_yaml(filters_path);
    } catch (const std::exception& e) {
      throw UsageError(e.what());
    }
#else
    throw UsageError("this build cannot read YAML filter files");
#endif
  }
  c.threads = threads;
  if (!max_future.empty()) c.max_future_ms = parse_max_future(max_future);  // else EngineConfig's bound
  return c;
}

EngineKind EngineOptions::kind() const {
  if (engine == "cpu") return EngineKind::Cpu;
  if (engine == "gpu") return EngineKind::Gpu;
  if (engine == "gpu-portable") return EngineKind::GpuPortable;
  if (engine == "auto") return EngineKind::Auto;
  throw UsageError("bad --engine '" + engine + "' (cpu, gpu, gpu-portable or auto)");
}

}  // namespace clickagg::cli
