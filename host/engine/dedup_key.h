// The dedup key of an event as a 128-bit fingerprint: its click_id when present, else the
// whole tuple (ad_id, t_ms, user_id, ip, country). Separate seeds keep the two key spaces
// apart. Host and device share this code, so both engines agree bit for bit.
#pragma once
#include <cstdint>

#include "host/common/hash128.h"
#include "host/common/hd.h"

namespace clickagg {

constexpr uint64_t kClickIdSeed = 0x636c69636b5f6964ULL;  // "click_id"
constexpr uint64_t kTupleSeed = 0x7475706c655f6b79ULL;    // "tuple_ky"

CLICKAGG_HD Hash128 dedup_fingerprint(const char* ad, uint32_t ad_len, int64_t t_ms,
                                      const char* user, uint32_t user_len, const uint8_t ip[16],
                                      const char* country, uint32_t country_len,
                                      const char* click, uint32_t click_len) {
  Hash128 r;
  if (click_len > 0) {
    Hasher128 h(kClickIdSeed);
    h.add_field(click, click_len);
    r = h.finish();
  } else {
    Hasher128 h(kTupleSeed);
    // Laid out in one buffer first, so the hasher takes whole 16-byte blocks; the bytes (and
    // so the fingerprint) are exactly those of the field-by-field form below.
    constexpr uint32_t kCap = 256;
    const uint32_t total = 8 + ad_len + 8 + 8 + user_len + 16 + 8 + country_len;
    if (total <= kCap) {
      unsigned char buf[kCap];
      uint32_t n = 0;
      auto put_u64 = [&](uint64_t v) {
        for (int i = 0; i < 8; ++i) buf[n++] = static_cast<unsigned char>(v >> (8 * i));
      };
      auto put_bytes = [&](const void* p, uint32_t len) {
        const auto* b = static_cast<const unsigned char*>(p);
        for (uint32_t i = 0; i < len; ++i) buf[n++] = b[i];
      };
      put_u64(ad_len);
      put_bytes(ad, ad_len);
      put_u64(static_cast<uint64_t>(t_ms));
      put_u64(user_len);
      put_bytes(user, user_len);
      put_bytes(ip, 16);
      put_u64(country_len);
      put_bytes(country, country_len);
      h.add_bytes(buf, n);
    } else {
      h.add_field(ad, ad_len);
      h.add_u64(static_cast<uint64_t>(t_ms));
      h.add_field(user, user_len);
      h.add_bytes(ip, 16);
      h.add_field(country, country_len);
    }
    r = h.finish();
  }
  // The all-zero value marks empty slots in fingerprint tables.
  if (r.lo == 0 && r.hi == 0) r.lo = 1;
  return r;
}

}  // namespace clickagg
