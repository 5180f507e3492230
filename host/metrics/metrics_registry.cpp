#include "host/metrics/metrics_registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "host/metrics/process_metrics.h"

namespace clickagg::metrics {

namespace {

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string escape(std::string_view v, bool is_help) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && !is_help) out += "\\\"";
    else out += c;
  }
  return out;
}

// {a="x",b="y"}, or "" for no labels.
std::string render_labels(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  auto add = [&](const std::string& k, const std::string& v) {
    if (out.size() > 1) out += ',';
    out += k + "=\"" + escape(v, false) + '"';
  };
  for (const auto& [k, v] : labels) {
    if (!valid_name(k) || k.starts_with("__")) throw std::invalid_argument("bad label name: " + k);
    add(k, v);
  }
  return out + "}";
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// One sample line: name{labels} value.
void sample(std::string& out, std::string_view name, std::string_view labels, std::string_view value) {
  out.append(name).append(labels).append(" ").append(value).append("\n");
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
    throw std::invalid_argument("histogram bounds must be strictly ascending");
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::observe(double v) {
  const size_t i = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> latency_buckets_seconds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
          1, 2.5, 5, 10};
}

namespace {
Labels& build_info_labels() {
  static Labels labels;
  return labels;
}
}  // namespace

void MetricsRegistry::set_build_info(Labels labels) { build_info_labels() = std::move(labels); }

MetricsRegistry::MetricsRegistry(ProcessMetrics process) : process_(process) {
  if (!build_info_labels().empty())
    gauge("clickagg_build_info", "The build that answers: release, commit, CUDA engine built in (value 1)",
          build_info_labels())
        .set(1);
}

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, std::string_view help,
                                                 Type type, const Labels& labels) {
  if (!valid_name(name)) throw std::invalid_argument("bad metric name: " + std::string(name));
  const std::string key = render_labels(labels);
  auto it = families_.find(name);
  if (it == families_.end())
    it = families_.emplace(std::string(name), Family{type, std::string(help), {}}).first;
  else if (it->second.type != type)
    throw std::invalid_argument("metric " + std::string(name) + " registered with another type");
  return it->second.series[key];
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& s = series(name, help, Type::Counter, labels);
  if (!s.counter) {
    if (s.read) throw std::invalid_argument("metric series is a callback: " + std::string(name));
    s.counter = std::make_unique<Counter>();
  }
  return *s.counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& s = series(name, help, Type::Gauge, labels);
  if (!s.gauge) {
    if (s.read) throw std::invalid_argument("metric series is a callback: " + std::string(name));
    s.gauge = std::make_unique<Gauge>();
  }
  return *s.gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      std::vector<double> bounds, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& s = series(name, help, Type::Histogram, labels);
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *s.histogram;
}

void MetricsRegistry::counter_fn(std::string_view name, std::string_view help,
                                 std::function<double()> read, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& s = series(name, help, Type::Counter, labels);
  if (s.counter) throw std::invalid_argument("metric series is not a callback: " + std::string(name));
  s.read = std::move(read);
}

void MetricsRegistry::gauge_fn(std::string_view name, std::string_view help,
                               std::function<double()> read, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& s = series(name, help, Type::Gauge, labels);
  if (s.gauge) throw std::invalid_argument("metric series is not a callback: " + std::string(name));
  s.read = std::move(read);
}

std::string MetricsRegistry::render() const {
  // Read before taking the lock: /proc is the kernel's, callbacks need not wait for it.
  const std::string process =
      process_ == ProcessMetrics::Render ? render_process_metrics(read_process_stats()) : std::string();
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
    out += "# HELP " + name + ' ' + escape(family.help, true) + '\n';
    out += "# TYPE " + name + ' ' + kTypeNames[static_cast<int>(family.type)] + '\n';
    for (const auto& [labels, s] : family.series) {
      if (s.counter) {
        sample(out, name, labels, std::to_string(s.counter->value()));
      } else if (s.gauge) {
        sample(out, name, labels, number(s.gauge->value()));
      } else if (s.read) {
        double v = 0;
        try {
          v = s.read();
        } catch (...) {
          v = std::nan("");  // a source that cannot be read now shows as NaN, not as 0
        }
        sample(out, name, labels, number(v));
      } else if (s.histogram) {
        const Histogram::Snapshot snap = s.histogram->snapshot();
        // `labels` is the rendered set ({k="v"}): "le" goes in before its closing brace.
        for (size_t i = 0; i <= snap.bounds.size(); ++i) {
          const std::string le = i < snap.bounds.size() ? number(snap.bounds[i]) : "+Inf";
          std::string with_le = labels.empty()
                                    ? "{le=\"" + le + "\"}"
                                    : labels.substr(0, labels.size() - 1) + ",le=\"" + le + "\"}";
          sample(out, name + "_bucket", with_le, std::to_string(snap.cumulative[i]));
        }
        sample(out, name + "_sum", labels, number(snap.sum));
        sample(out, name + "_count", labels, std::to_string(snap.count));
      }
    }
  }
  return out + process;
}

}  // namespace clickagg::metrics
