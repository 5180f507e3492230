// The minute ranges the replay and reconcile commands take, parsed strictly (UTC throughout).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clickagg::ops {

// A range of whole minutes [from_minute, to_minute), minutes since the epoch.
struct MinuteRange {
  int64_t from_minute = 0;
  int64_t to_minute = 0;
  int64_t minutes() const { return to_minute - from_minute; }
  int64_t from_ms() const;
  int64_t to_ms() const;
};

// A minute boundary: "yyyyMMddHHmm" (as the query API and counts.csv write minutes) or ISO
// 8601 "YYYY-MM-DDTHH:MM[:00][Z]" (also with a space for the T). Seconds, when given, must be
// 00: a range starts and ends on a minute. nullopt on anything else.
std::optional<int64_t> parse_minute_boundary(std::string_view text);
// "YYYY-MM-DD": that UTC day.
std::optional<MinuteRange> parse_day(std::string_view text);
// "YYYY-MM-DDTHH" (or with a space): that UTC hour.
std::optional<MinuteRange> parse_hour(std::string_view text);

// "[202101010000, 202101020000)".
std::string describe(const MinuteRange& r);

}  // namespace clickagg::ops
