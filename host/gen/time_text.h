// Event-time text as records carry it: the log form "2021-01-01 00:00:01.123" and ISO-8601
// "2021-01-01T00:00:01.123Z", the millisecond part only when non-zero.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clickagg::gen {

void append_log_time(int64_t t_ms, std::string& out);
void append_iso_time(int64_t t_ms, std::string& out);

// Accepts "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss[.fff]" and "yyyy-mm-ddThh:mm:ss[.fff][Z]" (UTC);
// nullopt on anything else.
std::optional<int64_t> parse_time_text(std::string_view text);

// A start time as the commands take it: "now", "now-3m" (any duration before `now_ms`), or
// what parse_time_text accepts; nullopt on anything else.
std::optional<int64_t> parse_start_text(std::string_view text, int64_t now_ms);

}  // namespace clickagg::gen
