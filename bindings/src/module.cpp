#include "bindings/src/bindings.h"

#include <pybind11/stl.h>

#include <charconv>
#include <stdexcept>

#include "host/common/event_counters.h"
#include "host/common/time_util.h"
#include "host/engine/filters.h"
#include "host/engines/engines.h"

namespace clickagg::py {

int64_t duration_ms(const std::string& text, const char* what) {
  if (const auto ms = parse_duration_ms(text)) return *ms;
  throw pb::value_error(std::string("bad ") + what + " '" + text +
                        "': a duration is a whole number with its unit, e.g. 250ms, 15s, 10m, 2h (0 needs none)");
}

EngineKind engine_kind(const std::string& name) {
  if (name == "cpu") return EngineKind::Cpu;
  if (name == "gpu") return EngineKind::Gpu;
  if (name == "gpu-portable") return EngineKind::GpuPortable;
  if (name == "auto") return EngineKind::Auto;
  throw pb::value_error("bad kind '" + name + "' (cpu, gpu, gpu-portable or auto)");
}

EngineConfig engine_config(const pb::object& filters, const std::string& delay, const std::string& allowed_lateness,
                           uint32_t top, const pb::object& topn_windows, unsigned threads,
                           const pb::object& max_future) {
  EngineConfig c;
  c.delay_ms = duration_ms(delay, "delay");
  c.allowed_lateness_ms = duration_ms(allowed_lateness, "allowed_lateness");
  if (top < 1 || top > 100000) throw pb::value_error("top must be in 1..100000");
  c.top_n = top;
  c.topn_windows.clear();
  for (const auto& w : topn_windows) {
    const auto m = w.cast<int64_t>();
    if (m < 1 || m > 10080) throw pb::value_error("topn_windows: minutes 1..10080");
    c.topn_windows.push_back(static_cast<uint32_t>(m));
  }
  if (c.topn_windows.empty()) throw pb::value_error("topn_windows is empty");
  std::sort(c.topn_windows.begin(), c.topn_windows.end());
  c.topn_windows.erase(std::unique(c.topn_windows.begin(), c.topn_windows.end()), c.topn_windows.end());
  if (!filters.is_none()) {
    // A path to the YAML filter file, or its text (anything with a newline).
    const auto text = filters.cast<std::string>();
#if defined(CLICKAGG_HAVE_YAML)
    try {
      c.filters = text.find('\n') != std::string::npos ? parse_filters_yaml(text) : load_filters_yaml(text);
    } catch (const std::exception& e) {
      throw pb::value_error(e.what());
    }
#else
    throw pb::value_error("this build cannot read YAML filter files");
#endif
  }
  c.threads = threads;
  if (max_future.is_none()) c.max_future_ms = std::nullopt;
  else c.max_future_ms = duration_ms(max_future.cast<std::string>(), "max_future");
  return c;
}

}  // namespace clickagg::py

PYBIND11_MODULE(_native, m) {
  m.doc() = "clickagg's engines, decoders and batch command over NumPy columns";
  clickagg::py::register_batch(m);
  clickagg::py::register_results(m);
  clickagg::py::register_engine(m);
  clickagg::py::register_jobs(m);
  // The counters' names, in the order every counters dict and Progress lists them.
  pybind11::tuple names(std::size(clickagg::kCounterFields));
  for (size_t i = 0; i < names.size(); ++i) names[i] = clickagg::kCounterFields[i].name;
  m.attr("COUNTERS") = names;
}
