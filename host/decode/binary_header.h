// Reading the fixed 40-byte header of a binary v1 record (layout in binary_format.h); shared
// by the decoder and the splitter so both judge a frame the same way.
#pragma once
#include <cstdint>
#include <cstring>

#include "host/decode/binary_format.h"
#include "host/decode/decode.h"

namespace clickagg::binfmt {

struct Header {
  uint8_t version;
  uint8_t flags;
  uint16_t record_len;
  uint8_t ad_id_len;
  uint8_t country_len;
  int64_t t_ms;
  const uint8_t* ip;  // 16 bytes
  uint16_t user_id_len;
  uint16_t click_id_len;
  uint32_t reserved;
};

inline uint16_t load_le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline uint64_t load_le64(const uint8_t* p) {
  return static_cast<uint64_t>(load_le32(p)) | (static_cast<uint64_t>(load_le32(p + 4)) << 32);
}

// `p` holds at least kHeaderLen bytes.
inline Header read_header(const uint8_t* p) {
  Header h;
  h.version = p[2];
  h.flags = p[3];
  h.record_len = load_le16(p + 4);
  h.ad_id_len = p[6];
  h.country_len = p[7];
  h.t_ms = static_cast<int64_t>(load_le64(p + 8));
  h.ip = p + 16;
  h.user_id_len = load_le16(p + 32);
  h.click_id_len = load_le16(p + 34);
  h.reserved = load_le32(p + 36);
  return h;
}

inline size_t body_len(const Header& h) {
  return size_t{h.ad_id_len} + h.user_id_len + h.click_id_len + h.country_len;
}

// Frame-level checks: magic, version and a record length that agrees with the header's string
// lengths. `avail` is how many bytes follow `p` in the buffer.
inline DecodeStatus check_frame(const uint8_t* p, size_t avail, Header& h) {
  if (avail < 2 || p[0] != kMagic0 || p[1] != kMagic1) return "bad magic";
  if (avail < kHeaderLen) return "truncated record";
  h = read_header(p);
  if (h.version != kVersion) return "unsupported version";
  if (h.record_len < kHeaderLen || h.record_len > kMaxRecordLen ||
      h.record_len != kHeaderLen + body_len(h))
    return "bad record length";
  if (h.record_len > avail) return "truncated record";
  return nullptr;
}

}  // namespace clickagg::binfmt
