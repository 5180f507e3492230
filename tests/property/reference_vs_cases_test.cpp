// The hand-computed case files and the brute-force reference are two independent readings of
// the specification; they must agree before either is used to judge an engine.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/cases/case_file.h"
#include "tests/reference/reference_io.h"
#include "tests/reference/reference_model.h"
#include "tests/support/source_dir.h"

namespace {

using clickagg::cases::CaseFile;
namespace ref = clickagg::ref;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

ref::RefConfig config_of(const CaseFile& c) {
  ref::RefConfig cfg;
  cfg.delay_ms = ref::parse_duration(c.config_or("delay", "15s")).value();
  cfg.lateness_ms = ref::parse_duration(c.config_or("allowed-lateness", "10m")).value();
  cfg.top_n = static_cast<uint32_t>(std::stoul(c.config_or("top", "100")));
  cfg.windows.clear();
  std::istringstream windows(c.config_or("topn-windows", "1"));
  for (std::string w; std::getline(windows, w, ',');) cfg.windows.push_back(std::stoul(w));
  if (!c.filters_yaml.empty()) cfg.filters = ref::parse_filters(c.filters_yaml);
  return cfg;
}

class ReferenceVsCases : public testing::TestWithParam<CaseFile> {};

TEST_P(ReferenceVsCases, ReferenceReproducesHandComputedExpectations) {
  const CaseFile& c = GetParam();
  if (c.config_or("format", "log") != "log") {
    GTEST_SKIP() << "the reference reads only log lines; " << c.name << " is checked on engines";
  }
  std::vector<ref::RefEvent> events;
  std::vector<uint64_t> rejected;
  // With a processing time, events dated more than max-future after it are rejected.
  int64_t latest = INT64_MAX;
  if (c.config.count("now") && c.config_or("max-future", "10m") != "off")
    latest = ref::parse_log_time(c.config.at("now")).value() + ref::parse_duration(c.config_or("max-future", "10m")).value();
  for (const auto& batch : c.batches) {
    for (const auto& rec : batch.records) {
      auto ev = ref::parse_log_line(rec.text, batch.partition, latest);
      if (ev) events.push_back(std::move(*ev));
      else rejected.push_back(rec.line);
    }
  }
  const ref::RefResult r = ref::run_reference(events, config_of(c));

  EXPECT_EQ(lines_of(ref::render_counts_csv(r)), c.counts_rows) << c.name;
  EXPECT_EQ(lines_of(ref::render_topn_csv(r)), c.topn_rows) << c.name;
  EXPECT_EQ(rejected, c.reject_lines) << c.name;
  const std::map<std::string, uint64_t> summary{
      {"events_total", r.stats.events_total + rejected.size()},
      {"rejected", rejected.size()},
      {"duplicates", r.stats.duplicates},
      {"dropped_late", r.stats.dropped_late},
      {"counted", r.stats.counted},
      {"late_counted", r.stats.late_counted}};
  EXPECT_EQ(summary, c.summary) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Cases, ReferenceVsCases,
                         testing::ValuesIn(clickagg::cases::load_cases(
                             clickagg::testing_support::source_dir() + "/tests/cases")),
                         [](const testing::TestParamInfo<CaseFile>& p) {
                           return "case_" + p.param.name;
                         });

TEST(ReferenceModel, FormatsMinutesAcrossYearsAndLeapDays) {
  EXPECT_EQ(ref::format_minute(0), "197001010000");
  EXPECT_EQ(ref::format_minute(26'824'320), "202101010000");  // 1609459200 s / 60
  EXPECT_EQ(ref::format_minute(26'824'320 - 1), "202012312359");
  // 2020-02-29 12:34 is day 18321 since the epoch.
  EXPECT_EQ(ref::format_minute(18321LL * 1440 + 12 * 60 + 34), "202002291234");
  EXPECT_EQ(ref::format_minute(-1), "196912312359");
}

TEST(ReferenceModel, ParsesAddressesAndBlocks) {
  const auto a = ref::parse_ip("2001:DB8:0:0:0:0:0:1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a, ref::parse_ip("2001:db8::1"));
  EXPECT_EQ(ref::parse_ip("::ffff:1.2.3.4"), ref::parse_ip("1.2.3.4"));
  EXPECT_FALSE(ref::parse_ip("1.2.3"));
  EXPECT_FALSE(ref::parse_ip("1.2.3.256"));
  EXPECT_FALSE(ref::parse_ip("1::2::3"));
  EXPECT_FALSE(ref::parse_ip("1:2:3:4:5:6:7:8:9"));
  EXPECT_FALSE(ref::parse_ip("1:2:3:4:5:6:7::8"));
  EXPECT_TRUE(ref::parse_ip("::"));
  const auto v6 = ref::parse_cidr("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(ref::cidr_contains(*v6, *ref::parse_ip("2001:db8:ffff::1")));
  EXPECT_FALSE(ref::cidr_contains(*v6, *ref::parse_ip("2001:db9::1")));
  const auto v4 = ref::parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(ref::cidr_contains(*v4, *ref::parse_ip("10.255.0.1")));
  EXPECT_FALSE(ref::cidr_contains(*v4, *ref::parse_ip("11.0.0.1")));
  EXPECT_FALSE(ref::cidr_contains(*v4, *ref::parse_ip("a00::1")));  // 0a00:: is not 10/8
  const auto odd = ref::parse_cidr("fe80::/10");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(ref::cidr_contains(*odd, *ref::parse_ip("febf::1")));
  EXPECT_FALSE(ref::cidr_contains(*odd, *ref::parse_ip("fec0::1")));
}

}  // namespace
