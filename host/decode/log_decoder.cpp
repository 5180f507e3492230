// The design's raw log line: "[AdClickEvent] ad001, 2021-01-01 00:00:01, user 1, 207.148.22.22,
// USA[, click_id]". Every field is a view into the line.
#include <bit>
#include <cstdint>
#include <cstring>

#include "host/common/country.h"
#include "host/common/ip.h"
#include "host/decode/decode.h"
#include "host/decode/field_rules.h"
#include "host/decode/timestamp.h"
#include "host/decode/utf8.h"

namespace clickagg {
namespace {

constexpr std::string_view kTag = "[AdClickEvent]";
constexpr size_t kMaxFields = 6;

inline std::string_view trim(const char* b, const char* e) {
  while (b < e && (*b == ' ' || *b == '\t')) ++b;
  while (e > b && (e[-1] == ' ' || e[-1] == '\t')) --e;
  return {b, static_cast<size_t>(e - b)};
}

}  // namespace

DecodeStatus decode_log(std::string_view line, Event& out) {
  if (line.size() > kMaxRecordLen) return "oversized record";
  const char* data = line.data();
  const size_t n = line.size();

  // One pass finds the commas and whether any byte is non-ASCII; the full UTF-8 check runs
  // only for lines that need it.
  size_t comma[kMaxFields];
  size_t commas = 0;
  uint64_t seen_bits = 0;
  size_t i = 0;
  if constexpr (std::endian::native == std::endian::little) {
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, data + i, 8);
      seen_bits |= w;
      // Exact per-byte zero test of w ^ ",,,,,,,,": the high bit of each comma byte.
      const uint64_t x = w ^ 0x2C2C2C2C2C2C2C2CULL;
      uint64_t z = ~(((x & 0x7F7F7F7F7F7F7F7FULL) + 0x7F7F7F7F7F7F7F7FULL) | x) &
                   0x8080808080808080ULL;
      for (; z != 0; z &= z - 1) {
        if (commas < kMaxFields) comma[commas] = i + static_cast<size_t>(std::countr_zero(z)) / 8;
        ++commas;
      }
    }
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    seen_bits |= c;
    if (c == ',') {
      if (commas < kMaxFields) comma[commas] = i;
      ++commas;
    }
  }
  if ((seen_bits & 0x8080808080808080ULL) != 0 && !valid_utf8(data, n)) return "invalid UTF-8";
  if (n < kTag.size() || std::memcmp(data, kTag.data(), kTag.size()) != 0)
    return "missing [AdClickEvent] tag";
  if (commas < 4 || commas > 5) return "wrong field count";

  // The tag holds no comma, so every comma found lies after it. Field k lies between comma
  // k - 1 (or the tag) and comma k (or the end); built where used rather than into an array
  // that would be zeroed first.
  auto field = [&](size_t k) {
    return trim(data + (k == 0 ? kTag.size() : comma[k - 1] + 1), data + (k == commas ? n : comma[k]));
  };
  const std::string_view f[kMaxFields - 1] = {field(0), field(1), field(2), field(3), field(4)};

  if (DecodeStatus s = check_ad_id(f[0])) return s;
  int64_t t_ms;
  if (!parse_log_timestamp(f[1], t_ms)) return "bad timestamp";
  if (DecodeStatus s = check_user_id(f[2])) return s;
  if (!parse_ip(f[3], out.ip)) return "bad ip";
  if (!normalize_country(f[4], out.country)) return "bad country";
  out.ad_id = f[0];
  out.t_ms = t_ms;
  out.user_id = f[2];
  out.click_id = commas == 5 ? field(5) : std::string_view{};
  return nullptr;
}

}  // namespace clickagg
