// A small metrics registry rendered in the Prometheus text format. Each stage keeps its
// counters here (a "probe") instead of threading them through its logic: register once,
// keep the returned reference, update it lock-free. State owned elsewhere can be exposed
// with a callback read at scrape time.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clickagg::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `bounds`: upper bounds of the buckets, ascending; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bucket, not cumulative
  std::atomic<double> sum_{0.0};
};

// Request latency buckets in seconds: 100 us to 10 s.
std::vector<double> latency_buckets_seconds();

class MetricsRegistry {
 public:
  // Whether render() adds the process_* metrics of this process (host/serve/process_metrics.h).
  enum class ProcessMetrics { Render, Omit };

  // Every registry reports clickagg_build_info{...} 1 with the labels given here (release,
  // commit, CUDA support), so dashboards can tell which build answers, and the process_*
  // metrics unless told to omit them (a test comparing exact text).
  explicit MetricsRegistry(ProcessMetrics process = ProcessMetrics::Render);
  // The process's build labels; set once at start, before any registry is made.
  static void set_build_info(Labels labels);

  // Returns the series for (name, labels), creating it on first use; the reference stays
  // valid for the registry's lifetime. Throws std::invalid_argument for a bad name or a
  // name already registered with another type.
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       const Labels& labels = {});
  // Values read at scrape time; a later registration of the same series replaces the
  // callback. Callbacks run under the registry lock: they must not use the registry.
  void counter_fn(std::string_view name, std::string_view help, std::function<double()> read,
                  const Labels& labels = {});
  void gauge_fn(std::string_view name, std::string_view help, std::function<double()> read,
                const Labels& labels = {});
  // The same for a value a stage keeps in an atomic it owns (a probe), which must outlive
  // the registry's scrapes.
  void counter_of(std::string_view name, std::string_view help, const std::atomic<uint64_t>& value,
                  const Labels& labels = {}) {
    counter_fn(name, help, [&value] { return static_cast<double>(value.load(std::memory_order_relaxed)); }, labels);
  }
  void gauge_of(std::string_view name, std::string_view help, const std::atomic<uint64_t>& value,
                const Labels& labels = {}) {
    gauge_fn(name, help, [&value] { return static_cast<double>(value.load(std::memory_order_relaxed)); }, labels);
  }

  // The Prometheus text exposition format (version 0.0.4), families sorted by name, then the
  // process_* families.
  std::string render() const;

 private:
  enum class Type { Counter, Gauge, Histogram };
  struct Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> read;
  };
  struct Family {
    Type type;
    std::string help;
    std::map<std::string, Series> series;  // by rendered label set
  };
  Series& series(std::string_view name, std::string_view help, Type type, const Labels& labels);

  const ProcessMetrics process_;
  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace clickagg::metrics
