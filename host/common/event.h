// A decoded, validated, normalised click event. Strings are views into the input buffer or
// into the decoder's scratch arena (for JSON strings with escapes); they stay valid as long
// as the batch they came from.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace clickagg {

constexpr size_t kMaxAdIdLen = 64;
constexpr size_t kMaxCountryLen = 16;
constexpr size_t kMaxRecordLen = 4096;  // longer records are rejected as oversized

// IPv4 is held IPv4-mapped (::ffff:a.b.c.d) so both families compare and hash the same way.
struct IpAddr {
  std::array<uint8_t, 16> bytes{};
  bool is_v4 = false;
  bool operator==(const IpAddr&) const = default;
};

// ISO 3166 alpha-2 after normalisation; unknown codes are kept upper-cased.
struct Country {
  std::array<char, kMaxCountryLen> code{};
  uint8_t len = 0;
  std::string_view view() const { return {code.data(), len}; }
  bool operator==(const Country& o) const { return view() == o.view(); }
};

struct Event {
  std::string_view ad_id;
  std::string_view user_id;
  std::string_view click_id;  // empty when absent
  int64_t t_ms = 0;           // event time, UTC milliseconds since the epoch
  IpAddr ip;
  Country country;
  uint64_t position = 0;      // where it came from: line, byte offset or Kafka offset
};

}  // namespace clickagg
