// Text in and out of the reference model: the exact counts.csv / topn.csv the batch command
// must write, and just enough input reading (log lines, a subset of the filter YAML) to run
// the hand-written case files through the model. Independent of the project's own decoders.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/reference/reference_model.h"

namespace clickagg::ref {

// Minute index (minutes since 1970-01-01 UTC) as yyyyMMddHHmm.
std::string format_minute(int64_t minute);

// With header line; every line ends in '\n'.
std::string render_counts_csv(const RefResult& r);
// Rows for every listed ad of every (minute, window, filter) list; empty lists give no rows.
std::string render_topn_csv(const RefResult& r);

// "15s", "250ms", "10m", "1h" (a non-negative integer and a unit).
std::optional<int64_t> parse_duration(std::string_view text);

// Case-insensitive; a few well-known alpha-3 codes map to alpha-2, anything else is kept
// upper-cased. Empty input gives nullopt.
std::optional<std::string> normalize_country(std::string_view raw);

// `yyyy-mm-dd hh:mm:ss[.fff]`, UTC, as milliseconds since the epoch.
std::optional<int64_t> parse_log_time(std::string_view text);

// One log line `[AdClickEvent] ad, yyyy-mm-dd hh:mm:ss[.fff], user, ip, country[, click_id]`;
// nullopt when the record would be rejected: malformed, or dated after `latest_ms` (processing
// time plus the bound on event time).
std::optional<RefEvent> parse_log_line(std::string_view line, uint32_t partition, int64_t latest_ms = INT64_MAX);

// The filter file subset the cases use: `filters:` then items `- id: N` with `name`,
// `country`, `ip`, `user_id` as a scalar or a flow list `[a, b]`, optionally quoted.
// Throws std::runtime_error on anything else.
std::vector<RefFilter> parse_filters(std::string_view yaml);

}  // namespace clickagg::ref
