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

CLICKAGG_HD uint64_t bytes_hash64(const char* s, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  if (i < n) memcpy(&tail, s + i, n - i);
  h = (h ^ tail) * 0x100000001b3ULL;
  return mix64(h);
}

}  // namespace clickagg
