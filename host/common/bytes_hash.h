// A fast 64-bit hash of short byte strings (ad ids, user ids), host and device: FNV-1a over
// 8-byte words, then a strong mixer. Tables and shards take their bits from it; nothing is
// decided by it alone (equal hashes are settled by comparing the bytes).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "host/common/hash128.h"
#include "host/common/hd.h"

namespace clickagg {

// Nothing stores these hashes (restores recompute them), so the function may change between
// versions; the one rule is that everything running at once uses the same one.
CLICKAGG_HD uint64_t bytes_hash64(const char* s, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  // The last 0..7 bytes by fixed-size loads that may overlap (no copy of a variable length,
  // which the loads after it would have to wait for).
  const size_t r = n - i;
  uint64_t tail = 0;
  if (r >= 4) {
    uint32_t a, b;
    memcpy(&a, s + i, 4);
    memcpy(&b, s + n - 4, 4);
    tail = (static_cast<uint64_t>(b) << 32) | a;
  } else if (r > 0) {
    const auto* u = reinterpret_cast<const unsigned char*>(s + i);
    tail = (static_cast<uint64_t>(u[0]) << 16) | (static_cast<uint64_t>(u[r >> 1]) << 8) | u[r - 1];
  }
  h = (h ^ tail) * 0x100000001b3ULL;
  return mix64(h);
}

}  // namespace clickagg
