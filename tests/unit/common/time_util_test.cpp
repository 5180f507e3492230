#include "host/common/time_util.h"

#include <gtest/gtest.h>

#include <random>

namespace clickagg {
namespace {

// 2021-01-01 is 18628 days after 1970-01-01: 51 years, 13 of them leap (1972..2020).
constexpr int64_t kDays2021 = 51 * 365 + 13;
static_assert(kDays2021 == 18628);
constexpr int64_t kMinute2021 = kDays2021 * 1440;

TEST(TimeUtil, MinuteOfFloors) {
  EXPECT_EQ(minute_of(0), 0);
  EXPECT_EQ(minute_of(59'999), 0);
  EXPECT_EQ(minute_of(60'000), 1);
  EXPECT_EQ(minute_of(-1), -1);
  EXPECT_EQ(minute_of(-60'000), -1);
  EXPECT_EQ(minute_of(-60'001), -2);
  EXPECT_EQ(minute_of(1609459201000), kMinute2021);
  EXPECT_EQ(window_end_ms(kMinute2021), 1609459260000);
}

TEST(TimeUtil, KnownMinute) {
  EXPECT_EQ(days_from_civil(2021, 1, 1), kDays2021);
  EXPECT_EQ(parse_minute("202101010000"), kMinute2021);
  EXPECT_EQ(format_minute(kMinute2021), "202101010000");
  EXPECT_EQ(minute_to_yyyymmddhhmm(kMinute2021), 202101010000);
  EXPECT_EQ(format_minute(kMinute2021 + 61), "202101010101");
  EXPECT_EQ(format_minute(0), "197001010000");
  EXPECT_EQ(parse_minute("197001010000"), 0);
  EXPECT_EQ(format_minute(kMinute2021 - 1), "202012312359");
  EXPECT_EQ(parse_minute("202002290000"), days_from_civil(2020, 2, 29) * 1440);
}

TEST(TimeUtil, MinuteRoundTrips) {
  std::mt19937_64 rng(20210101);
  const int64_t last = days_from_civil(9999, 12, 31) * 1440 + 1439;
  std::uniform_int_distribution<int64_t> dist(0, last);
  for (int i = 0; i < 20'000; ++i) {
    const int64_t m = dist(rng);
    const std::string text = format_minute(m);
    ASSERT_EQ(text.size(), 12u);
    ASSERT_EQ(parse_minute(text), m) << text;
  }
  for (int64_t m = kMinute2021 - 3000; m < kMinute2021 + 3000; ++m)
    ASSERT_EQ(parse_minute(format_minute(m)), m);
}

TEST(TimeUtil, CivilRoundTrips) {
  for (int64_t z = -800'000; z < 3'000'000; z += 7) {
    const CivilDate c = civil_from_days(z);
    ASSERT_TRUE(valid_civil(c.year, c.month, c.day));
    ASSERT_EQ(days_from_civil(c.year, c.month, c.day), z);
  }
}

TEST(TimeUtil, LeapYears) {
  EXPECT_TRUE(valid_civil(2020, 2, 29));
  EXPECT_TRUE(valid_civil(2000, 2, 29));
  EXPECT_FALSE(valid_civil(1900, 2, 29));
  EXPECT_FALSE(valid_civil(2021, 2, 29));
  EXPECT_FALSE(valid_civil(2021, 4, 31));
  EXPECT_FALSE(valid_civil(2021, 0, 1));
  EXPECT_FALSE(valid_civil(2021, 13, 1));
  EXPECT_FALSE(valid_civil(2021, 1, 0));
}

TEST(TimeUtil, ParseMinuteRejects) {
  for (const char* s : {"", "20210101000", "2021010100000", "20210101000a", "202102290000",
                        "190002290000", "202113010000", "202100010000", "202101000000",
                        "202101012400", "202101010060", "2021-01-01 0", " 02101010000",
                        "-20101010000"}) {
    EXPECT_FALSE(parse_minute(s).has_value()) << s;
  }
  EXPECT_TRUE(parse_minute("200002290000").has_value());
}

TEST(TimeUtil, Durations) {
  EXPECT_EQ(parse_duration_ms("15s"), 15'000);
  EXPECT_EQ(parse_duration_ms("10m"), 600'000);
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("1h"), 3'600'000);
  EXPECT_EQ(parse_duration_ms("0s"), 0);
  EXPECT_EQ(parse_duration_ms("90s"), 90'000);
  EXPECT_EQ(parse_duration_ms("0"), 0);  // zero alone needs no unit; any other number does
  for (const char* s : {"", "s", "15", "00", "1", "15x", "-1s", "1.5s", "15 s", " 15s", "15S", "15sec",
                        "99999999999999999999s", "9223372036854775807h", "1hm"}) {
    EXPECT_FALSE(parse_duration_ms(s).has_value()) << s;
  }
}

}  // namespace
}  // namespace clickagg
