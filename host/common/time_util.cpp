#include "host/common/time_util.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace clickagg {

int64_t minute_to_yyyymmddhhmm(int64_t minute) {
  const int64_t days = minute >= 0 ? minute / 1440 : -((-minute + 1439) / 1440);
  const int64_t in_day = minute - days * 1440;
  const CivilDate c = civil_from_days(days);
  return ((c.year * 100 + c.month) * 100 + c.day) * 10000 + (in_day / 60) * 100 + in_day % 60;
}

std::string format_minute(int64_t minute) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%012lld", static_cast<long long>(minute_to_yyyymmddhhmm(minute)));
  return buf;
}

std::optional<int64_t> parse_minute(std::string_view text) {
  if (text.size() != 12) return std::nullopt;
  for (char ch : text)
    if (ch < '0' || ch > '9') return std::nullopt;
  auto num = [&](size_t pos, size_t len) {
    int64_t v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  const int64_t y = num(0, 4), mo = num(4, 2), d = num(6, 2), h = num(8, 2), mi = num(10, 2);
  if (!valid_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) || h > 23 || mi > 59)
    return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 1440 + h * 60 + mi;
}

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  if (text == "0") return 0;  // nothing is unambiguous in any unit
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc{}) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  int64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else return std::nullopt;
  if (value > INT64_MAX / scale) return std::nullopt;
  return value * scale;
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace clickagg
