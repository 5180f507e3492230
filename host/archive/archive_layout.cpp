#include "host/archive/archive_layout.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "host/common/time_util.h"

namespace clickagg::archive {

namespace fs = std::filesystem;

namespace {
constexpr int64_t kHoursPerDay = 24;
constexpr size_t kPartitionDigits = 5;
constexpr size_t kOffsetDigits = 20;  // UINT64_MAX has 20 digits

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Exactly `digits` decimal digits, nothing else.
template <typename T>
std::optional<T> parse_digits(std::string_view s, size_t digits) {
  if (s.size() != digits) return std::nullopt;
  T v{};
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}
}  // namespace

int64_t hour_of(int64_t t_ms) { return floor_div(t_ms, kMsPerHour); }

std::string hour_dir_name(int64_t hour) {
  const int64_t day = floor_div(hour, kHoursPerDay);
  const CivilDate d = civil_from_days(day);
  char buf[64];
  std::snprintf(buf, sizeof buf, "dt=%04lld-%02u-%02u/hour=%02lld", static_cast<long long>(d.year), d.month, d.day,
                static_cast<long long>(hour - day * kHoursPerDay));
  return buf;
}

std::string data_file_name(uint32_t partition, uint64_t first_offset) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "part-%05u-%020llu.avro", partition, static_cast<unsigned long long>(first_offset));
  return buf;
}

std::optional<DataFileName> parse_data_file_name(std::string_view name) {
  constexpr std::string_view kPrefix = "part-", kSuffix = ".avro";
  if (name.size() != kPrefix.size() + kPartitionDigits + 1 + kOffsetDigits + kSuffix.size()) return std::nullopt;
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  if (name[kPartitionDigits] != '-') return std::nullopt;
  const auto part = parse_digits<uint32_t>(name.substr(0, kPartitionDigits), kPartitionDigits);
  const auto off = parse_digits<uint64_t>(name.substr(kPartitionDigits + 1, kOffsetDigits), kOffsetDigits);
  if (!part || !off) return std::nullopt;
  return DataFileName{*part, *off};
}

std::string state_path(const std::string& dir) { return (fs::path(dir) / "_archive_state.json").string(); }
std::string dead_letter_path(const std::string& dir) { return (fs::path(dir) / "_dead_letters.txt").string(); }

std::vector<HourDir> list_hour_dirs(const std::string& dir, int64_t first_hour, int64_t last_hour) {
  std::vector<HourDir> out;
  if (first_hour > last_hour) return out;
  for (const auto& day : fs::directory_iterator(dir)) {
    const std::string dname = day.path().filename().string();
    // dt=YYYY-MM-DD
    if (!day.is_directory() || dname.size() != 13 || !dname.starts_with("dt=") || dname[7] != '-' || dname[10] != '-')
      continue;
    const auto y = parse_digits<int64_t>(std::string_view(dname).substr(3, 4), 4);
    const auto m = parse_digits<unsigned>(std::string_view(dname).substr(8, 2), 2);
    const auto d = parse_digits<unsigned>(std::string_view(dname).substr(11, 2), 2);
    if (!y || !m || !d || !valid_civil(*y, *m, *d)) continue;
    const int64_t day_hour = days_from_civil(*y, *m, *d) * kHoursPerDay;
    if (day_hour > last_hour || day_hour + kHoursPerDay - 1 < first_hour) continue;
    for (const auto& h : fs::directory_iterator(day.path())) {
      const std::string hname = h.path().filename().string();
      if (!h.is_directory() || !hname.starts_with("hour=")) continue;
      const auto hh = parse_digits<int64_t>(std::string_view(hname).substr(5), 2);
      if (!hh || *hh >= kHoursPerDay) continue;
      const int64_t hour = day_hour + *hh;
      if (hour < first_hour || hour > last_hour) continue;
      out.push_back(HourDir{hour, dname + "/" + hname});
    }
  }
  std::sort(out.begin(), out.end(), [](const HourDir& a, const HourDir& b) { return a.hour < b.hour; });
  return out;
}

std::vector<std::string> list_data_files(const std::string& hour_dir) {
  std::vector<std::string> out;
  for (const auto& f : fs::directory_iterator(hour_dir)) {
    const std::string name = f.path().filename().string();
    if (f.is_regular_file() && parse_data_file_name(name)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace clickagg::archive
