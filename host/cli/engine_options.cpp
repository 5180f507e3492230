#include "host/cli/engine_options.h"

#include <charconv>

#include "host/cli/commands.h"
#include "host/cli/duration_arg.h"
#include "host/common/time_util.h"

namespace clickagg::cli {

void EngineOptions::add_to(CLI::App& cmd) {
  cmd.add_option("--delay", delay, "Watermark delay (ms, s, m, h)")->capture_default_str();
  cmd.add_option("--allowed-lateness", allowed_lateness, "How long closed windows accept late events")
      ->capture_default_str();
  cmd.add_option("--top", top, "N of the top-N lists")->capture_default_str();
  cmd.add_option("--topn-windows", topn_windows, "Top-N window sizes in minutes, comma-separated")
      ->capture_default_str();
  cmd.add_option("--filters", filters_path, "YAML filter file");
  cmd.add_option("--engine", engine,
                 "cpu, gpu (experimental: not yet verified on a GPU), gpu-portable (the GPU engine's device "
                 "algorithm run on the CPU, for tests) or auto (the CPU engine until the GPU engine has passed its "
                 "checks on a GPU)")
      ->capture_default_str();
  cmd.add_option("--threads", threads, "CPU engine worker threads (0: all cores)")->capture_default_str();
  cmd.add_option("--max-future", max_future,
                 "Reject events dated further than this ahead of processing time (default 10m; 'off': no bound)");
}

std::optional<int64_t> parse_max_future(const std::string& text, const char* flag) {
  if (text == "off") return std::nullopt;
  return duration_arg(flag, text).count();
}

EngineConfig EngineOptions::config() const {
  EngineConfig c;
  c.delay_ms = duration_arg("--delay", delay).count();
  c.allowed_lateness_ms = duration_arg("--allowed-lateness", allowed_lateness).count();
  if (top < 1 || top > 100000) throw UsageError("--top must be in 1..100000");
  c.top_n = top;
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
  if (c.topn_windows.empty()) throw UsageError("--topn-windows is empty");
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
  c.max_future_ms = parse_max_future(max_future.empty() ? "10m" : max_future);
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
