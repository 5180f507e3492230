// The `binary` input format, version 1: one record per Kafka message or, in files, records
// back to back. A fixed 40-byte header (all integers little-endian) followed by the strings:
//
//   off size field
//     0    2 magic 'C','K'
//     2    1 version = 1
//     3    1 flags: bit0 = IPv4 (ip holds ::ffff:a.b.c.d), bit1 = click_id present
//     4    2 record_len: total bytes of this record, header included (<= kMaxRecordLen)
//     6    1 ad_id_len (1..64)
//     7    1 country_len (1..16)
//     8    8 click_timestamp: int64 ms since the epoch, UTC
//    16   16 ip: IPv6 address bytes in network order
//    32    2 user_id_len
//    34    2 click_id_len
//    36    4 reserved, zero
//    40      ad_id | user_id | click_id | country  (no terminators, no padding)
//
// record_len must equal 40 + the four lengths; a reader that meets a bad frame skips to the
// next 'C','K',1 byte sequence.
#pragma once
#include <cstdint>
#include <string>

#include "host/common/event.h"

namespace clickagg::binfmt {

constexpr uint8_t kMagic0 = 'C';
constexpr uint8_t kMagic1 = 'K';
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderLen = 40;
constexpr uint8_t kFlagIpv4 = 1;
constexpr uint8_t kFlagClickId = 2;

// Appends the encoding of `ev` to `out` (used by the generator and tests).
void encode(const Event& ev, std::string& out);

}  // namespace clickagg::binfmt
