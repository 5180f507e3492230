#include "host/ops/time_range.h"

#include <gtest/gtest.h>

namespace clickagg::ops {
namespace {

constexpr int64_t k20210101 = 18628 * 1440;  // 2021-01-01 00:00 UTC in minutes

TEST(TimeRange, MinuteBoundaryForms) {
  EXPECT_EQ(parse_minute_boundary("202101010000"), k20210101);
  EXPECT_EQ(parse_minute_boundary("202101010105"), k20210101 + 65);
  EXPECT_EQ(parse_minute_boundary("2021-01-01T01:05"), k20210101 + 65);
  EXPECT_EQ(parse_minute_boundary("2021-01-01 01:05"), k20210101 + 65);
  EXPECT_EQ(parse_minute_boundary("2021-01-01T01:05:00"), k20210101 + 65);
  EXPECT_EQ(parse_minute_boundary("2021-01-01T01:05:00Z"), k20210101 + 65);
  EXPECT_EQ(parse_minute_boundary("2021-01-01T01:05Z"), k20210101 + 65);
  EXPECT_EQ(parse_minute_boundary("2020-02-29T23:59"), k20210101 - 366 * 1440 + 59 * 1440 + 1439);
}

TEST(TimeRange, MinuteBoundaryRejects) {
  for (const char* bad : {"", "2021", "20210101000", "2021010100000", "202113010000", "202102290000",
                          "2021-01-01T01:05:30", "2021-01-01T24:00", "2021-01-01T01:60", "2021-01-01X01:05",
                          "2021-01-01T01:05+01:00", "2021-1-01T01:05", "20210101 0000", "2021-01-01T01:05:00.000"})
    EXPECT_FALSE(parse_minute_boundary(bad)) << bad;
}

TEST(TimeRange, DayAndHour) {
  const auto d = parse_day("2021-01-01");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->from_minute, k20210101);
  EXPECT_EQ(d->to_minute, k20210101 + 1440);
  const auto h = parse_hour("2021-01-01T07");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->from_minute, k20210101 + 420);
  EXPECT_EQ(h->minutes(), 60);
  EXPECT_EQ(h->from_ms(), (k20210101 + 420) * 60'000);
  EXPECT_EQ(describe(*h), "[202101010700, 202101010800)");
  for (const char* bad : {"2021-01-32", "2021-02-29", "2021-01-01T", "20210101", "2021-01-01T07:00"})
    EXPECT_FALSE(parse_day(bad)) << bad;
  for (const char* bad : {"2021-01-01T24", "2021-01-01", "2021-01-01T7", "2021-01-01T07:00"})
    EXPECT_FALSE(parse_hour(bad)) << bad;
}

}  // namespace
}  // namespace clickagg::ops
