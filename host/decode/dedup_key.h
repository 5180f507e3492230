// The dedup key of an event as a 128-bit fingerprint: its click_id when present, else the
// whole tuple (ad_id, t_ms, user_id, ip, country). Separate seeds keep the two key spaces
// apart. Host and device share this code, so both engines agree bit for bit.
#pragma once
#include <cstdint>
#include <cstring>

#include "host/common/hash128.h"
#include "host/common/hd.h"

namespace clickagg {

constexpr uint64_t kClickIdSeed = 0x636c69636b5f6964ULL;  // "click_id"
constexpr uint64_t kTupleSeed = 0x7475706c655f6b79ULL;    // "tuple_ky"

CLICKAGG_HD Hash128 dedup_fingerprint(const char* ad, uint32_t ad_len, int64_t t_ms,
                                      const char* user, uint32_t user_len, const uint8_t ip[16],
                                      const char* country, uint32_t country_len,
                                      const char* click, uint32_t click_len) {
  // The key is hashed as its length-prefixed fields laid end to end (Hasher128::add_field's
  // layout). Keys that fit are laid out in one buffer and hashed in one pass; the bytes, and so
  // the fingerprint, are those of the field-by-field form, which longer keys take.
  constexpr uint32_t kCap = 256;
  unsigned char buf[kCap];
  uint32_t n = 0;
  auto put_u64 = [&](uint64_t v) {
    memcpy(buf + n, &v, 8);
    n += 8;
  };
  auto put_bytes = [&](const void* p, uint32_t len) {
    if (len > 0) memcpy(buf + n, p, len);
    n += len;
  };
  Hash128 r;
  if (click_len > 0) {
    if (8 + click_len <= kCap) {
      put_u64(click_len);
      put_bytes(click, click_len);
      r = hash128(buf, n, kClickIdSeed);
    } else {
      Hasher128 h(kClickIdSeed);
      h.add_field(click, click_len);
      r = h.finish();
    }
  } else if (8 + ad_len + 8 + 8 + user_len + 16 + 8 + country_len <= kCap) {
    put_u64(ad_len);
    put_bytes(ad, ad_len);
    put_u64(static_cast<uint64_t>(t_ms));
    put_u64(user_len);
    put_bytes(user, user_len);
    put_bytes(ip, 16);
    put_u64(country_len);
    put_bytes(country, country_len);
    r = hash128(buf, n, kTupleSeed);
  } else {
    Hasher128 h(kTupleSeed);
    h.add_field(ad, ad_len);
    h.add_u64(static_cast<uint64_t>(t_ms));
    h.add_field(user, user_len);
    h.add_bytes(ip, 16);
    h.add_field(country, country_len);
    r = h.finish();
  }
  // The all-zero value marks empty slots in fingerprint tables.
  if (r.lo == 0 && r.hi == 0) r.lo = 1;
  return r;
}

}  // namespace clickagg
