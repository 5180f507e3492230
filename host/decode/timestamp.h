// Event-time text forms accepted by the decoders, all resolved to UTC milliseconds.
#pragma once
#include <cstdint>
#include <string_view>

namespace clickagg {

// 0000-01-01 is out: event times run from the epoch to the end of year 9999.
constexpr int64_t kMaxEventTimeMs = 253402300799999;  // 9999-12-31T23:59:59.999Z

// The log form: "YYYY-MM-DD HH:MM:SS" with an optional ".f", ".ff" or ".fff" fraction of a
// second, UTC.
bool parse_log_timestamp(std::string_view text, int64_t& t_ms);

// The log form, or ISO-8601 "YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM|+HHMM|+HH]";
// the offset is applied to give UTC. Fractions finer than a millisecond are truncated.
bool parse_text_timestamp(std::string_view text, int64_t& t_ms);

// A JSON number holding integer epoch milliseconds (no sign, fraction or exponent).
bool parse_epoch_ms(std::string_view number, int64_t& t_ms);

}  // namespace clickagg
