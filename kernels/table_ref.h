// The trivially copyable device views ("refs") of one minute's tables, passed to kernels by
// value or in small arrays. The owning host object is DeviceWindowTable.
//
// Fingerprint table (dedup): open addressing, linear probing over 32-byte entries: the 128-bit
// fingerprint ({0, 0} marks an empty entry; dedup_fingerprint never returns it) and beside it,
// in the same 32-byte sector, `first`: UINT32_MAX for an empty entry, 0 for a key committed by
// an earlier chunk, and during a chunk 1 + the smallest arrival index that holds the key. The
// probe, the atomicMin on `first` and the resolving compare-and-swap thus touch one sector.
//
// Count table (group-by): open addressing over 16-byte slots {key, count}; key ~0 is empty.
// Keys are count_key(slot, ad) (device_layout.h); counts are 64-bit.
#pragma once
#include <cstdint>
#include <type_traits>

#include "kernels/system/system.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

struct alignas(16) FpSlot {
  unsigned long long lo;
  unsigned long long hi;
};
struct alignas(16) CountSlot {
  unsigned long long key;
  unsigned long long count;
};
constexpr unsigned long long kEmptyCountKey = ~0ull;
constexpr uint32_t kFirstEmpty = 0xFFFFFFFFu;
constexpr uint32_t kNoSlot = 0xFFFFFFFFu;
// Slot indexes are 32-bit (one per event in a chunk), so a table has at most 2^31 slots:
// 2^30 distinct keys per minute at the maximum load of 1/2.
constexpr uint64_t kMaxTableSlots = 1ull << 31;

struct alignas(32) FpEntry {
  FpSlot key;
  uint32_t first;
  uint32_t reserved[3];
};
struct FpTableRef {
  FpEntry* slots = nullptr;
  unsigned long long mask = 0;  // capacity - 1 (capacity is a power of two)
};
struct CountTableRef {
  CountSlot* slots = nullptr;
  unsigned long long mask = 0;
};
static_assert(std::is_trivially_copyable_v<FpTableRef> && std::is_trivially_copyable_v<CountTableRef>);
static_assert(sizeof(FpSlot) == 16 && sizeof(CountSlot) == 16 && sizeof(FpEntry) == 32);

}  // namespace clickagg::CLICKAGG_DEVICE_NS
