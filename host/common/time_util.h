// Event-time arithmetic shared by every engine: minutes, windows, civil dates (UTC).
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "host/common/hd.h"

namespace clickagg {

constexpr int64_t kMsPerMinute = 60'000;
// Event-time sentinels: no event time yet (a watermark before any event), and the end of input.
constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();
constexpr int64_t kEndOfTime = std::numeric_limits<int64_t>::max();

// floor(t_ms / 60000): negative times (before 1970) floor too.
CLICKAGG_HD int64_t minute_of(int64_t t_ms) {
  int64_t q = t_ms / kMsPerMinute;
  return (t_ms % kMsPerMinute < 0) ? q - 1 : q;
}
CLICKAGG_HD int64_t window_end_ms(int64_t minute) { return (minute + 1) * kMsPerMinute; }

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
CLICKAGG_HD int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct CivilDate {
  int64_t year;
  unsigned month, day;
};
CLICKAGG_HD CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{y + (m <= 2), m, d};
}

CLICKAGG_HD bool valid_civil(int64_t y, unsigned m, unsigned d) {
  if (m < 1 || m > 12 || d < 1) return false;
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const unsigned dim = (m == 2 && leap) ? 29 : kDays[m - 1];
  return d <= dim;
}

// Minute index (minutes since epoch) <-> yyyyMMddHHmm as an integer, e.g. 202101010000.
int64_t minute_to_yyyymmddhhmm(int64_t minute);
std::string format_minute(int64_t minute);
// Parses a 12-digit yyyyMMddHHmm; nullopt on anything else (bad digits, invalid date).
std::optional<int64_t> parse_minute(std::string_view text);

// Exactly `width` decimal digits at text[pos, pos + width) as a number; nullopt when the text
// is shorter or holds anything else there.
inline std::optional<int64_t> fixed_digits(std::string_view text, size_t pos, size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int64_t v = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

// "15s", "10m", "250ms", "1h", or "0" alone -> milliseconds; nullopt on a malformed or negative
// value and on a number without its unit.
std::optional<int64_t> parse_duration_ms(std::string_view text);

// Processing time: the wall clock in milliseconds since the epoch.
int64_t wall_ms();

}  // namespace clickagg
