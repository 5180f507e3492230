#include "host/ops/time_range.h"

#include "host/common/time_util.h"

namespace clickagg::ops {

namespace {

constexpr auto digits = fixed_digits;

// "YYYY-MM-DD" at the start of `text`: days since the epoch.
std::optional<int64_t> parse_date_prefix(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto y = digits(text, 0, 4), m = digits(text, 5, 2), d = digits(text, 8, 2);
  if (!y || !m || !d || !valid_civil(*y, static_cast<unsigned>(*m), static_cast<unsigned>(*d))) return std::nullopt;
  return days_from_civil(*y, static_cast<unsigned>(*m), static_cast<unsigned>(*d));
}

bool is_t(char c) { return c == 'T' || c == 't' || c == ' '; }

}  // namespace

int64_t MinuteRange::from_ms() const { return from_minute * kMsPerMinute; }
int64_t MinuteRange::to_ms() const { return to_minute * kMsPerMinute; }

std::optional<int64_t> parse_minute_boundary(std::string_view text) {
  if (text.size() == 12) return parse_minute(text);
  // YYYY-MM-DDTHH:MM, then optionally :00, then optionally Z.
  if (text.size() < 16 || !is_t(text[10]) || text[13] != ':') return std::nullopt;
  const auto day = parse_date_prefix(text);
  const auto hh = digits(text, 11, 2), mm = digits(text, 14, 2);
  if (!day || !hh || !mm || *hh > 23 || *mm > 59) return std::nullopt;
  std::string_view rest = text.substr(16);
  if (rest.starts_with(":")) {
    if (rest.size() < 3 || rest[1] != '0' || rest[2] != '0') return std::nullopt;
    rest.remove_prefix(3);
  }
  if (rest == "Z" || rest == "z") rest = {};
  if (!rest.empty()) return std::nullopt;
  return *day * 1440 + *hh * 60 + *mm;
}

std::optional<MinuteRange> parse_day(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  const auto day = parse_date_prefix(text);
  if (!day) return std::nullopt;
  return MinuteRange{*day * 1440, (*day + 1) * 1440};
}

std::optional<MinuteRange> parse_hour(std::string_view text) {
  if (text.size() != 13 || !is_t(text[10])) return std::nullopt;
  const auto day = parse_date_prefix(text);
  const auto hh = digits(text, 11, 2);
  if (!day || !hh || *hh > 23) return std::nullopt;
  const int64_t from = *day * 1440 + *hh * 60;
  return MinuteRange{from, from + 60};
}

std::string describe(const MinuteRange& r) {
  return "[" + format_minute(r.from_minute) + ", " + format_minute(r.to_minute) + ")";
}

}  // namespace clickagg::ops
