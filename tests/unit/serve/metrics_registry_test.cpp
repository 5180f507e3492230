#include "host/metrics/metrics_registry.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace clickagg::metrics {
namespace {

TEST(MetricsRegistryTest, RendersCountersAndGaugesByFamily) {
  MetricsRegistry m(MetricsRegistry::ProcessMetrics::Omit);
  m.counter("b_total", "B things.", {{"route", "/x"}, {"status", "200"}}).inc(3);
  m.counter("b_total", "B things.", {{"route", "/x"}, {"status", "200"}}).inc();
  m.counter("b_total", "B things.", {{"route", "/y"}, {"status", "404"}}).inc();
  m.gauge("a_level", "A level.").set(1.5);
  EXPECT_EQ(m.render(),
            "# HELP a_level A level.\n"
            "# TYPE a_level gauge\n"
            "a_level 1.5\n"
            "# HELP b_total B things.\n"
            "# TYPE b_total counter\n"
            "b_total{route=\"/x\",status=\"200\"} 4\n"
            "b_total{route=\"/y\",status=\"404\"} 1\n");
}

TEST(MetricsRegistryTest, HistogramIsCumulative) {
  MetricsRegistry m(MetricsRegistry::ProcessMetrics::Omit);
  Histogram& h = m.histogram("lat_seconds", "Latency.", {0.1, 1}, {{"route", "r"}});
  h.observe(0.05);
  h.observe(0.1);  // upper bounds are inclusive
  h.observe(0.5);
  h.observe(7);
  EXPECT_EQ(m.render(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{route=\"r\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{route=\"r\",le=\"1\"} 3\n"
            "lat_seconds_bucket{route=\"r\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{route=\"r\"} 7.65\n"
            "lat_seconds_count{route=\"r\"} 4\n");
}

TEST(MetricsRegistryTest, CallbacksAreReadAtScrapeTime) {
  MetricsRegistry m;
  double v = 1;
  m.gauge_fn("lag", "Lag.", [&v] { return v; });
  m.counter_fn("seen_total", "Seen.", [] { return 12.0; });
  m.gauge_fn("broken", "Broken.", []() -> double { throw std::runtime_error("down"); });
  v = 2;
  const std::string text = m.render();
  EXPECT_NE(text.find("lag 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("seen_total 12\n"), std::string::npos) << text;
  EXPECT_NE(text.find("broken NaN\n"), std::string::npos) << text;
}

TEST(MetricsRegistryTest, EscapesLabelValues) {
  MetricsRegistry m;
  m.counter("x_total", "Help with \\ and\nnewline.", {{"k", "a\"b\\c\nd"}}).inc();
  const std::string text = m.render();
  EXPECT_NE(text.find("# HELP x_total Help with \\\\ and\\nnewline.\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_total{k=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
}

TEST(MetricsRegistryTest, RejectsBadNamesAndTypeClashes) {
  MetricsRegistry m;
  EXPECT_THROW(m.counter("9lives", "x"), std::invalid_argument);
  EXPECT_THROW(m.counter("has-dash", "x"), std::invalid_argument);
  EXPECT_THROW(m.counter("ok_total", "x", {{"bad-label", "v"}}), std::invalid_argument);
  m.counter("ok_total", "x");
  EXPECT_THROW(m.gauge("ok_total", "x"), std::invalid_argument);
  EXPECT_THROW(m.histogram("h", "x", {2, 1}), std::invalid_argument);
}

TEST(MetricsRegistryTest, CountsFromManyThreads) {
  MetricsRegistry m;
  Counter& c = m.counter("n_total", "N.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        m.counter("m_total", "M.", {{"t", "x"}}).inc();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(m.counter("m_total", "M.", {{"t", "x"}}).value(), 40000u);
}

}  // namespace
}  // namespace clickagg::metrics
