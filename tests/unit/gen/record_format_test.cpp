// Exact text of rendered records and of event-time text.
#include <gtest/gtest.h>

#include "host/common/ip.h"
#include "host/gen/record_writer.h"
#include "host/gen/time_text.h"

namespace clickagg::gen {
namespace {

constexpr int64_t kT0 = 1'609'459'200'000;  // 2021-01-01T00:00:00Z

GenEvent sample_event(int64_t t_ms) {
  GenEvent ev;
  ev.ad_id = "ad001";
  ev.user_id = "user 1";
  ev.ip_text = "207.148.22.22";
  EXPECT_TRUE(parse_ip(ev.ip_text, ev.ip));
  ev.country_raw = "USA";
  ev.country.code[0] = 'U';
  ev.country.code[1] = 'S';
  ev.country.len = 2;
  ev.t_ms = t_ms;
  return ev;
}

TEST(RecordFormat, LogLineMatchesTheDesign) {
  std::string out;
  append_log_record(sample_event(kT0 + 1000), out);
  EXPECT_EQ(out, "[AdClickEvent] ad001, 2021-01-01 00:00:01, user 1, 207.148.22.22, USA\n");
  out.clear();
  GenEvent ev = sample_event(kT0 + 1123);
  ev.click_id = "ck42";
  append_log_record(ev, out);
  EXPECT_EQ(out, "[AdClickEvent] ad001, 2021-01-01 00:00:01.123, user 1, 207.148.22.22, USA, ck42\n");
}

TEST(RecordFormat, JsonTimestampForms) {
  GenEvent ev = sample_event(kT0 + 1123);
  const char* expected[] = {
      R"({"ad_id":"ad001","click_timestamp":"2021-01-01 00:00:01.123","user_id":"user 1","ip":"207.148.22.22","country":"USA"})",
      R"({"ad_id":"ad001","click_timestamp":"2021-01-01T00:00:01.123Z","user_id":"user 1","ip":"207.148.22.22","country":"USA"})",
      R"({"ad_id":"ad001","click_timestamp":1609459201123,"user_id":"user 1","ip":"207.148.22.22","country":"USA"})",
  };
  const TimestampForm forms[] = {TimestampForm::LogText, TimestampForm::Iso8601, TimestampForm::EpochMs};
  for (int i = 0; i < 3; ++i) {
    ev.ts_form = forms[i];
    std::string out;
    append_json_record(ev, out);
    EXPECT_EQ(out, std::string(expected[i]) + "\n");
  }
  ev.click_id = "ck7";
  std::string out;
  append_json_record(ev, out);
  EXPECT_NE(out.find(R"(,"click_id":"ck7"})"), std::string::npos);
}

TEST(RecordFormat, AutoIsNotAnOutputFormat) {
  std::string out;
  EXPECT_THROW(append_record(Format::Auto, sample_event(kT0), out), std::invalid_argument);
}

TEST(RecordFormat, GeneratedFieldsLookReal) {
  GenConfig c;
  c.count = 5'000;
  Generator g(c);
  while (!g.done()) {
    const GenEvent& ev = g.next();
    ASSERT_EQ(ev.ad_id.size(), 9u);  // "ad" + 7 digits for 2,000,000 ads
    ASSERT_EQ(ev.ad_id.substr(0, 2), "ad");
    ASSERT_EQ(ev.user_id.substr(0, 5), "user ");
    IpAddr parsed;
    ASSERT_TRUE(parse_ip(ev.ip_text, parsed)) << ev.ip_text;
    ASSERT_EQ(parsed, ev.ip) << ev.ip_text;
    ASSERT_FALSE(ev.country_raw.empty());
  }
}

TEST(TimeText, FormatsAndParses) {
  std::string s;
  append_log_time(kT0, s);
  EXPECT_EQ(s, "2021-01-01 00:00:00");
  s.clear();
  append_iso_time(kT0 + 59'999, s);
  EXPECT_EQ(s, "2021-01-01T00:00:59.999Z");
  s.clear();
  append_log_time(kT0 - 1, s);
  EXPECT_EQ(s, "2020-12-31 23:59:59.999");

  EXPECT_EQ(parse_time_text("2021-01-01T00:00:00Z"), kT0);
  EXPECT_EQ(parse_time_text("2021-01-01 00:00:01.123"), kT0 + 1123);
  EXPECT_EQ(parse_time_text("2021-01-01T00:00:01"), kT0 + 1000);
  EXPECT_EQ(parse_time_text("2021-01-01"), kT0);
  EXPECT_EQ(parse_time_text("2021-02-29 00:00:00"), std::nullopt);
  EXPECT_EQ(parse_time_text("2021-01-01 24:00:00"), std::nullopt);
  EXPECT_EQ(parse_time_text("2021-01-01 00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_time_text("yesterday"), std::nullopt);
  EXPECT_EQ(parse_time_text(""), std::nullopt);

  // Start times: relative to the processing time given, or absolute.
  const int64_t now = kT0 + 3'600'000;
  EXPECT_EQ(parse_start_text("now", now), now);
  EXPECT_EQ(parse_start_text("now-3m", now), now - 180'000);
  EXPECT_EQ(parse_start_text("2021-01-01", now), kT0);
  EXPECT_EQ(parse_start_text("now-", now), std::nullopt);
  EXPECT_EQ(parse_start_text("now+3m", now), std::nullopt);
  EXPECT_EQ(parse_start_text("later", now), std::nullopt);
}

TEST(WorkloadConfig, Validation) {
  EXPECT_EQ(validate(GenConfig{}), "");
  auto bad = [](auto tweak) {
    GenConfig c;
    tweak(c);
    return !validate(c).empty();
  };
  EXPECT_TRUE(bad([](GenConfig& c) { c.ads = 0; }));
  EXPECT_TRUE(bad([](GenConfig& c) { c.users = 0; }));
  EXPECT_TRUE(bad([](GenConfig& c) { c.zipf = -0.5; }));
  EXPECT_TRUE(bad([](GenConfig& c) { c.events_per_second = 0; }));
  EXPECT_TRUE(bad([](GenConfig& c) { c.late = 1.5; }));
  EXPECT_TRUE(bad([](GenConfig& c) { c.malformed = -0.1; }));
  EXPECT_TRUE(bad([](GenConfig& c) { c.ipv6_fraction = 2; }));
  EXPECT_TRUE(bad([](GenConfig& c) { c.late = 0.6, c.duplicate = 0.6; }));
  EXPECT_TRUE(bad([](GenConfig& c) { c.start_ms = 0; }));
  EXPECT_FALSE(bad([](GenConfig& c) { c.zipf = 0; }));
  EXPECT_FALSE(bad([](GenConfig& c) { c.late = 0.5, c.duplicate = 0.5; }));
  GenConfig c;
  c.ads = 0;
  EXPECT_THROW(Generator{c}, std::invalid_argument);
}

}  // namespace
}  // namespace clickagg::gen
