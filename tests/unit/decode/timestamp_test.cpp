#include "host/decode/timestamp.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "host/common/time_util.h"
#include "host/decode/utf8.h"

namespace clickagg {
namespace {

// Every second of a random sample formats and parses back in both text forms.
TEST(Timestamp, RandomRoundTrips) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20'000; ++i) {
    const int64_t t = static_cast<int64_t>(rng() % (kMaxEventTimeMs + 1));
    const int64_t days = t / 86'400'000, in_day = t % 86'400'000;
    const CivilDate c = civil_from_days(days);
    char log[64], iso[80];
    using ll = long long;
    std::snprintf(log, sizeof log, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%03lld",
                  static_cast<ll>(c.year), c.month, c.day, static_cast<ll>(in_day / 3'600'000),
                  static_cast<ll>(in_day / 60'000 % 60), static_cast<ll>(in_day / 1000 % 60),
                  static_cast<ll>(in_day % 1000));
    std::snprintf(iso, sizeof iso, "%.10sT%sZ", log, log + 11);
    int64_t a = -1, b = -1;
    ASSERT_TRUE(parse_log_timestamp(log, a)) << log;
    ASSERT_TRUE(parse_text_timestamp(iso, b)) << iso;
    ASSERT_EQ(a, t) << log;
    ASSERT_EQ(b, t) << iso;
  }
}

// Records of one date come in runs: times of two neighbouring days (mostly of one month),
// some of them invalid, and invalid dates that differ from a valid one in its day, month or
// year alone, between them. Every verdict and value against the time the text was built from.
TEST(Timestamp, RunsOfNeighbouringDatesWithBadTimesAndDates) {
  std::mt19937_64 rng(11);
  auto text = [](int64_t t) {
    const CivilDate c = civil_from_days(t / 86'400'000);
    const int64_t in_day = t % 86'400'000;
    char log[64];
    using ll = long long;
    std::snprintf(log, sizeof log, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%03lld", static_cast<ll>(c.year), c.month,
                  c.day, static_cast<ll>(in_day / 3'600'000), static_cast<ll>(in_day / 60'000 % 60),
                  static_cast<ll>(in_day / 1000 % 60), static_cast<ll>(in_day % 1000));
    return std::string(log);
  };
  const std::string bad_time[] = {"24:00:00", "23:60:00", "23:59:60", "2x:00:00", "12:3a:00", "12:30:5 ",
                                  "12-30-00", "99:99:99"};
  const int64_t first_day = 18'628;  // 2021-01-01
  for (int run = 0; run < 2000; ++run) {
    const int64_t day = (first_day + static_cast<int64_t>(rng() % 730)) * 86'400'000;
    // The run's first date with its day, month or year made invalid, keeping the other bytes.
    const std::string date = text(day).substr(0, 10);
    std::vector<std::string> bad_date = {date.substr(0, 8) + "00", date.substr(0, 8) + "32",
                                         date.substr(0, 8) + "3x", date.substr(0, 5) + "13" + date.substr(7),
                                         date.substr(0, 5) + "00" + date.substr(7), "1969" + date.substr(4),
                                         date.substr(0, 7) + "/" + date.substr(8)};
    const CivilDate c = civil_from_days(day / 86'400'000);
    if (c.month != 1 && c.month != 3 && c.month != 5 && c.month != 7 && c.month != 8 && c.month != 10 &&
        c.month != 12)
      bad_date.push_back(date.substr(0, 8) + "31");
    for (int k = 0; k < 30; ++k) {
      const int64_t t = day + static_cast<int64_t>(rng() % (2 * 86'400'000));
      std::string s = text(t);
      int64_t got = -1;
      switch (rng() % 4) {
        case 0:  // a bad time of a good date
          s.replace(11, 8, bad_time[rng() % std::size(bad_time)]);
          ASSERT_FALSE(parse_log_timestamp(s, got)) << s;
          break;
        case 1:  // a bad date, then the good record
          ASSERT_FALSE(parse_log_timestamp(bad_date[rng() % bad_date.size()] + s.substr(10), got)) << s;
          [[fallthrough]];
        default:
          ASSERT_TRUE(parse_log_timestamp(s, got)) << s;
          ASSERT_EQ(got, t) << s;
      }
    }
  }
}

TEST(Timestamp, EpochMilliseconds) {
  int64_t t;
  EXPECT_TRUE(parse_epoch_ms("0", t));
  EXPECT_EQ(t, 0);
  EXPECT_TRUE(parse_epoch_ms("1609459201000", t));
  EXPECT_EQ(t, 1609459201000);
  EXPECT_TRUE(parse_epoch_ms("253402300799999", t));
  for (const char* bad :
       {"", "-1", "01", "1.0", "1e3", "253402300800000", "9999999999999999", "12a"})
    EXPECT_FALSE(parse_epoch_ms(bad, t)) << bad;
}

TEST(Utf8, Validation) {
  const std::string good[] = {"", "plain ascii text that is longer than eight bytes", "\xc2\x80",
                              "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
                              "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
                              "mixed \xc3\xa9 and \xf0\x9f\x98\x80 in a long-ish run of text"};
  for (const auto& s : good) EXPECT_TRUE(valid_utf8(s.data(), s.size())) << s;
  const std::string bad[] = {"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xc2\x41",
                             "\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
                             "\xe1\x80", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
                             "\xf5\x80\x80\x80", "\xff", "\xfe", "12345678\xe2\x82",
                             "abcdefgh\xf0\x9f\x98"};
  for (const auto& s : bad) EXPECT_FALSE(valid_utf8(s.data(), s.size())) << s.size();
}

}  // namespace
}  // namespace clickagg
