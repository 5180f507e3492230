// The standard Prometheus process metrics of the calling process (process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_start_time_seconds,
// process_threads, process_open_fds, process_max_fds), read from /proc at scrape time. Every
// MetricsRegistry renders them, so every /metrics endpoint of every command reports them.
#pragma once
#include <optional>
#include <string>

namespace clickagg::metrics {

struct ProcessStats {
  // From /proc/self/stat (all threads together); empty when it cannot be read.
  std::optional<double> cpu_seconds;         // user + system time
  std::optional<double> resident_bytes;
  std::optional<double> virtual_bytes;
  std::optional<double> start_time_seconds;  // Unix time; also needs btime from /proc/stat
  std::optional<double> threads;
  // From /proc/self/fd: descriptors open now, the one that lists them not included.
  std::optional<double> open_fds;
  // From /proc/self/limits: the soft RLIMIT_NOFILE (+Inf when unlimited).
  std::optional<double> max_fds;
};

ProcessStats read_process_stats();

// The families of the values present, in the Prometheus text format.
std::string render_process_metrics(const ProcessStats& stats);

}  // namespace clickagg::metrics
