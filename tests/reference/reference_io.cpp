#include "tests/reference/reference_io.h"

#include <stdexcept>

namespace clickagg::ref {

namespace {

bool leap_year(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int64_t y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && leap_year(y)) ? 29 : kDays[m - 1];
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 by counting whole years and months: slow and obviously right.
int64_t days_from_date(int64_t y, int m, int d) {
  int64_t days = 0;
  for (int64_t yy = 1970; yy < y; ++yy) days += leap_year(yy) ? 366 : 365;
  for (int64_t yy = y; yy < 1970; ++yy) days -= leap_year(yy) ? 366 : 365;
  for (int mm = 1; mm < m; ++mm) days += days_in_month(y, mm);
  return days + d - 1;
}

std::string pad(int64_t v, int width) {
  std::string s = std::to_string(v);
  while (static_cast<int>(s.size()) < width) s.insert(s.begin(), '0');
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { extra = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { extra = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { extra = 3; cp = c & 0x07; }
    else return false;
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::optional<int> digits(std::string_view s, size_t n) {
  if (s.size() != n) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// `YYYY-MM-DD HH:MM:SS` with optional `.fff`, UTC.
std::optional<int64_t> parse_timestamp(std::string_view s) {
  if (s.size() != 19 && s.size() != 23) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':') return std::nullopt;
  const auto y = digits(s.substr(0, 4), 4), mo = digits(s.substr(5, 2), 2),
             d = digits(s.substr(8, 2), 2), h = digits(s.substr(11, 2), 2),
             mi = digits(s.substr(14, 2), 2), se = digits(s.substr(17, 2), 2);
  if (!y || !mo || !d || !h || !mi || !se) return std::nullopt;
  int ms = 0;
  if (s.size() == 23) {
    if (s[19] != '.') return std::nullopt;
    const auto f = digits(s.substr(20, 3), 3);
    if (!f) return std::nullopt;
    ms = *f;
  }
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month(*y, *mo)) return std::nullopt;
  if (*h > 23 || *mi > 59 || *se > 59) return std::nullopt;
  const int64_t days = days_from_date(*y, *mo, *d);
  return ((days * 24 + *h) * 60 + *mi) * 60'000 + int64_t{*se} * 1000 + ms;
}

std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  return std::string(v);
}

std::vector<std::string> yaml_values(std::string_view v) {
  v = trim(v);
  std::vector<std::string> out;
  if (v.empty() || v.front() != '[') {
    out.push_back(unquote(v));
    return out;
  }
  if (v.back() != ']') throw std::runtime_error("filters: unterminated list");
  v = v.substr(1, v.size() - 2);
  while (true) {
    const size_t comma = v.find(',');
    out.push_back(unquote(v.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

std::string format_minute(int64_t minute) {
  int64_t days = floor_div(minute, 1440);
  const int64_t in_day = minute - days * 1440;
  int64_t y = 1970;
  while (days < 0) days += leap_year(--y) ? 366 : 365;
  while (days >= (leap_year(y) ? 366 : 365)) days -= leap_year(y++) ? 366 : 365;
  int m = 1;
  while (days >= days_in_month(y, m)) days -= days_in_month(y, m++);
  return pad(y, 4) + pad(m, 2) + pad(days + 1, 2) + pad(in_day / 60, 2) + pad(in_day % 60, 2);
}

std::string render_counts_csv(const RefResult& r) {
  std::string out = "ad_id,minute,filter_id,count\n";
  for (const auto& [key, count] : r.counts) {
    const auto& [minute, filter, ad] = key;
    out += ad + "," + format_minute(minute) + "," + std::to_string(filter) + "," +
           std::to_string(count) + "\n";
  }
  return out;
}

std::string render_topn_csv(const RefResult& r) {
  std::string out = "minute,window,filter_id,rank,ad_id,count\n";
  for (const auto& [key, list] : r.topn) {
    const auto& [minute, window, filter] = key;
    for (size_t i = 0; i < list.size(); ++i) {
      out += format_minute(minute) + "," + std::to_string(window) + "," + std::to_string(filter) +
             "," + std::to_string(i + 1) + "," + list[i].first + "," +
             std::to_string(list[i].second) + "\n";
    }
  }
  return out;
}

std::optional<int64_t> parse_duration(std::string_view text) {
  size_t n = 0;
  int64_t v = 0;
  while (n < text.size() && text[n] >= '0' && text[n] <= '9') v = v * 10 + (text[n++] - '0');
  if (n == 0) return std::nullopt;
  const std::string_view unit = text.substr(n);
  if (unit == "ms") return v;
  if (unit == "s") return v * 1000;
  if (unit == "m") return v * 60'000;
  if (unit == "h") return v * 3'600'000;
  return std::nullopt;
}

std::optional<std::string> normalize_country(std::string_view raw) {
  if (raw.empty()) return std::nullopt;
  std::string up;
  for (char c : raw) up += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  static const std::pair<const char*, const char*> kAlpha3[] = {
      {"USA", "US"}, {"GBR", "GB"}, {"DEU", "DE"}, {"FRA", "FR"}, {"JPN", "JP"},
      {"CAN", "CA"}, {"BRA", "BR"}, {"IND", "IN"}, {"CHN", "CN"}, {"AUS", "AU"},
      {"ESP", "ES"}, {"ITA", "IT"}, {"NLD", "NL"}, {"CHE", "CH"}, {"SWE", "SE"}};
  for (const auto& [a3, a2] : kAlpha3) {
    if (up == a3) return std::string(a2);
  }
  return up;
}

std::optional<int64_t> parse_log_time(std::string_view text) { return parse_timestamp(text); }

std::optional<RefEvent> parse_log_line(std::string_view line, uint32_t partition, int64_t latest_ms) {
  constexpr std::string_view kPrefix = "[AdClickEvent]";
  if (line.size() > 4096 || !valid_utf8(line)) return std::nullopt;
  if (line.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  std::vector<std::string_view> f;
  while (true) {
    const size_t comma = line.find(',');
    f.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  if (f.size() != 5 && f.size() != 6) return std::nullopt;
  RefEvent ev;
  ev.partition = partition;
  if (f[0].empty() || f[0].size() > 64) return std::nullopt;
  ev.ad_id = std::string(f[0]);
  const auto t = parse_timestamp(f[1]);
  if (!t || *t > latest_ms) return std::nullopt;
  ev.t_ms = *t;
  ev.user_id = std::string(f[2]);
  const auto ip = parse_ip(f[3]);
  if (!ip) return std::nullopt;
  ev.ip = *ip;
  const auto country = normalize_country(f[4]);
  if (!country) return std::nullopt;
  ev.country = *country;
  if (f.size() == 6 && !f[5].empty()) ev.click_id = std::string(f[5]);
  return ev;
}

std::vector<RefFilter> parse_filters(std::string_view yaml) {
  std::vector<RefFilter> out;
  bool seen_root = false;
  while (!yaml.empty()) {
    const size_t nl = yaml.find('\n');
    std::string_view line = yaml.substr(0, nl);
    yaml.remove_prefix(nl == std::string_view::npos ? yaml.size() : nl + 1);
    const size_t hash = line.find(" #");
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    if (!line.empty() && line.front() == '#') continue;
    line = trim(line);
    if (line.empty()) continue;
    if (line == "filters:") {
      seen_root = true;
      continue;
    }
    if (!seen_root) throw std::runtime_error("filters: missing 'filters:'");
    if (line.substr(0, 2) == "- ") {
      out.emplace_back();
      line = trim(line.substr(2));
    }
    if (out.empty()) throw std::runtime_error("filters: field outside an item");
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) throw std::runtime_error("filters: expected key: value");
    const std::string_view key = trim(line.substr(0, colon));
    const auto values = yaml_values(line.substr(colon + 1));
    RefFilter& f = out.back();
    if (key == "id") {
      f.id = static_cast<uint16_t>(std::stoi(values.at(0)));
    } else if (key == "name") {
    } else if (key == "country") {
      for (const auto& v : values) f.countries.push_back(normalize_country(v).value());
    } else if (key == "ip") {
      for (const auto& v : values) {
        const auto block = parse_cidr(v);
        if (!block) throw std::runtime_error("filters: bad ip block " + v);
        f.ip_blocks.push_back(*block);
      }
    } else if (key == "user_id") {
      for (const auto& v : values) f.user_ids.push_back(v);
    } else {
      throw std::runtime_error("filters: unknown key " + std::string(key));
    }
  }
  return out;
}

}  // namespace clickagg::ref
