// Invariants every accepted event must satisfy, whatever format it came from.
#pragma once
#include <cstdlib>
#include <cstring>
#include <string>

#include "host/decode/binary_format.h"
#include "host/decode/decode.h"
#include "host/decode/utf8.h"

namespace clickagg::fuzz {

inline void require(bool ok) {
  if (!ok) std::abort();
}

inline bool utf8(std::string_view s) { return valid_utf8(s.data(), s.size()); }

inline void check_event(const Event& ev) {
  // Every text field is valid UTF-8 on its own, not only joined to its neighbours.
  require(utf8(ev.ad_id) && utf8(ev.user_id) && utf8(ev.click_id));
  require(utf8(std::string_view(ev.country.code.data(), ev.country.len)));
  require(!ev.ad_id.empty() && ev.ad_id.size() <= kMaxAdIdLen);
  require(ev.ad_id.find(',') == std::string_view::npos);
  require(!ev.user_id.empty());
  require(ev.t_ms >= 0 && ev.t_ms <= 253402300799999);
  require(ev.country.len >= 1 && ev.country.len <= kMaxCountryLen);
  for (uint8_t i = 0; i < ev.country.len; ++i) {
    const char c = ev.country.code[i];
    require(c >= 0x20 && c <= 0x7E && !(c >= 'a' && c <= 'z'));
  }
  if (ev.ip.is_v4) {
    static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    require(std::memcmp(ev.ip.bytes.data(), kPrefix, 12) == 0);
  }
}

// Every accepted event survives the binary format unchanged.
inline void check_binary_round_trip(const Event& ev) {
  if (ev.user_id.size() + ev.click_id.size() + ev.ad_id.size() + ev.country.len +
          binfmt::kHeaderLen > kMaxRecordLen)
    return;
  std::string rec;
  binfmt::encode(ev, rec);
  Event back;
  require(decode_binary(rec, back) == nullptr);
  require(back.ad_id == ev.ad_id && back.user_id == ev.user_id && back.click_id == ev.click_id);
  require(back.t_ms == ev.t_ms && back.ip == ev.ip && back.country == ev.country);
}

}  // namespace clickagg::fuzz
