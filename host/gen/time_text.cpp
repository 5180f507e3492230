#include "host/gen/time_text.h"

#include "host/common/time_util.h"

namespace clickagg::gen {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;

void put_digits(std::string& out, int64_t v, int width) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

void append_time(int64_t t_ms, char date_time_sep, std::string& out) {
  int64_t days = t_ms / kMsPerDay;
  int64_t in_day = t_ms % kMsPerDay;
  if (in_day < 0) {  // floor for times before 1970
    in_day += kMsPerDay;
    --days;
  }
  const CivilDate d = civil_from_days(days);
  put_digits(out, d.year, 4);
  out.push_back('-');
  put_digits(out, d.month, 2);
  out.push_back('-');
  put_digits(out, d.day, 2);
  out.push_back(date_time_sep);
  put_digits(out, in_day / 3'600'000, 2);
  out.push_back(':');
  put_digits(out, in_day / 60'000 % 60, 2);
  out.push_back(':');
  put_digits(out, in_day / 1000 % 60, 2);
  if (const int64_t ms = in_day % 1000; ms != 0) {
    out.push_back('.');
    put_digits(out, ms, 3);
  }
}

constexpr auto digits = fixed_digits;

}  // namespace

void append_log_time(int64_t t_ms, std::string& out) { append_time(t_ms, ' ', out); }

void append_iso_time(int64_t t_ms, std::string& out) {
  append_time(t_ms, 'T', out);
  out.push_back('Z');
}

std::optional<int64_t> parse_time_text(std::string_view s) {
  const auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  if (!y || !mo || !d || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (!valid_civil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d))) return std::nullopt;
  int64_t t = days_from_civil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d)) * kMsPerDay;
  if (s.size() == 10) return t;
  if (s[10] != ' ' && s[10] != 'T') return std::nullopt;
  const auto h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (!h || !mi || !sec || s[13] != ':' || s[16] != ':' || *h > 23 || *mi > 59 || *sec > 59)
    return std::nullopt;
  t += *h * 3'600'000 + *mi * 60'000 + *sec * 1000;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    const auto ms = digits(s, pos + 1, 3);
    if (!ms) return std::nullopt;
    t += *ms;
    pos += 4;
  }
  if (pos < s.size() && s[pos] == 'Z' && s[10] == 'T') ++pos;
  return pos == s.size() ? std::optional<int64_t>(t) : std::nullopt;
}

std::optional<int64_t> parse_start_text(std::string_view text, int64_t now_ms) {
  if (text == "now") return now_ms;
  if (text.starts_with("now-")) {
    if (auto back = parse_duration_ms(text.substr(4))) return now_ms - *back;
    return std::nullopt;
  }
  return parse_time_text(text);
}

}  // namespace clickagg::gen
