#include "host/common/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <string>

#include "host/common/time_util.h"

namespace clickagg::log {
namespace {

std::atomic<Format> g_format{Format::Text};

// RFC 3339 with milliseconds, always UTC ("Z").
void append_timestamp(std::string& out, int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];  // room for any int fields, which gmtime_r never gives
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  out += buf;
}

// JSON string body: quotes, backslashes and control characters escaped; other bytes as they are
// (valid_utf8 below has already replaced any byte that is not UTF-8).
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// Bytes that are not valid UTF-8 (a raw record quoted in a message) become U+FFFD, so a JSON
// line stays parseable whatever a message quotes.
std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len != 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok && len == 2) ok = c >= 0xc2;
    if (ok && len == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
    }
    if (ok && len == 4) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = c <= 0xf4 && !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

void vwrite(Level level, std::string_view component, const char* fmt, va_list ap) {
  char stack[1024];
  va_list copy;
  va_copy(copy, ap);
  const int n = std::vsnprintf(stack, sizeof stack, fmt, copy);
  va_end(copy);
  if (n < 0) return write(level, component, fmt);
  if (static_cast<size_t>(n) < sizeof stack) return write(level, component, std::string_view(stack, n));
  std::string heap(static_cast<size_t>(n) + 1, '\0');
  std::vsnprintf(heap.data(), heap.size(), fmt, ap);
  heap.resize(static_cast<size_t>(n));
  write(level, component, heap);
}

}  // namespace

void set_format(Format f) { g_format.store(f, std::memory_order_relaxed); }
Format format() { return g_format.load(std::memory_order_relaxed); }

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "info";
}

void write(Level level, std::string_view component, std::string_view message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.remove_suffix(1);
  std::string line;
  line.reserve(message.size() + component.size() + 64);
  if (format() == Format::Json) {
    line += "{\"ts\":\"";
    append_timestamp(line, wall_ms());
    line += "\",\"level\":\"";
    line += level_name(level);
    line += "\",\"component\":";
    append_json_string(line, valid_utf8(component));
    line += ",\"msg\":";
    append_json_string(line, valid_utf8(message));
    line += "}\n";
  } else {
    append_timestamp(line, wall_ms());
    static constexpr const char* kPadded[] = {" DEBUG ", " INFO  ", " WARN  ", " ERROR "};
    line += kPadded[static_cast<int>(level)];
    line += component;
    line += ": ";
    line += message;
    line += '\n';
  }
  std::fwrite(line.data(), 1, line.size(), stderr);
}

#define CLICKAGG_LOG_LEVEL_FN(name, level)                          \
  void name(std::string_view component, const char* fmt, ...) {     \
    va_list ap;                                                     \
    va_start(ap, fmt);                                              \
    vwrite(level, component, fmt, ap);                              \
    va_end(ap);                                                     \
  }
CLICKAGG_LOG_LEVEL_FN(debug, Level::Debug)
CLICKAGG_LOG_LEVEL_FN(info, Level::Info)
CLICKAGG_LOG_LEVEL_FN(warn, Level::Warn)
CLICKAGG_LOG_LEVEL_FN(error, Level::Error)
#undef CLICKAGG_LOG_LEVEL_FN

}  // namespace clickagg::log
