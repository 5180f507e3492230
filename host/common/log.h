// Diagnostic lines on standard error: one line per message with a UTC timestamp, a level and
// the component that speaks, as text for people or as JSON objects for log collectors.
// Results and reports a command was asked for go to standard output, never through here.
#pragma once
#include <string_view>

namespace clickagg::log {

enum class Level { Debug, Info, Warn, Error };
enum class Format { Text, Json };

// Process-wide; set once by the command line before any thread logs.
void set_format(Format format);
Format format();

// One complete line, written with a single call so lines of concurrent threads never mix.
//   text: 2026-12-06T07:30:01.123Z INFO  aggregator: assigned partitions 0,1
//   json: {"ts":"2026-12-06T07:30:01.123Z","level":"info","component":"aggregator","msg":"..."}
void write(Level level, std::string_view component, std::string_view message);

// printf-style conveniences.
void debug(std::string_view component, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void info(std::string_view component, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void warn(std::string_view component, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void error(std::string_view component, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// "debug", "info", "warn", "error": the names JSON lines carry.
std::string_view level_name(Level level);

}  // namespace clickagg::log
