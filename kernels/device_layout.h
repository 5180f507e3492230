// Data layouts shared by the host code that sizes and describes a chunk of events and the
// kernels that read it. Plain structs only (no device code), so host-only translation units
// include this too.
//
// A chunk is a run of consecutive events of one process() call, in arrival order, that the
// watermark did not drop. The device builds each event's 64-byte DeviceEvent row from the
// batch's uploaded columns (device_rows.h): the dedup fingerprint the decoder computed, the
// fields filters read, the chunk minute and the late flag.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "host/common/hd.h"
#include "host/common/ip.h"
#include "kernels/system/system.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

// Limits of one chunk. The local minute id and the "late" flag share 16 bits of a row; the
// expansion of a chunk into group keys must stay addressable by CUB's int item counts.
constexpr uint32_t kMaxChunkMinutes = 1u << 15;
constexpr uint64_t kMaxChunkExpansions = 1ull << 28;  // group keys per chunk (events x slots)
constexpr uint32_t kLateFlag = 0x8000u;
constexpr uint32_t kNoToken = 0xFFFFFFFFu;
// Filters are evaluated once per event, when its row is built, into a 64-bit mask; with more
// filters than that, the kernels that need an event's matches evaluate them where they need them.
constexpr uint32_t kMaskFilters = 64;

struct alignas(16) DeviceEvent {
  uint8_t ip[16];         // IPv6 bytes (IPv4 mapped)
  char country[16];       // normalised code; only the first country_len bytes are meaningful
  uint64_t fp_lo, fp_hi;  // dedup fingerprint (host/decode/dedup_key.h)
  uint64_t matches;       // bit k: filter k matches (written once, where there are kMaskFilters or fewer)
  uint32_t user_token;    // index of the filter user id equal to user_id, or kNoToken
  uint16_t minute_late;   // bits 0..14: chunk-local minute id; bit 15: judged ClosedLate
  uint8_t country_len;    // 0..16
  uint8_t reserved;       // (the ad index is a column of its own: device_dictionary.h)
};
static_assert(sizeof(DeviceEvent) == 64, "one row is one 64-byte line");
static_assert(std::is_trivially_copyable_v<DeviceEvent>);

CLICKAGG_HD uint32_t local_minute(const DeviceEvent& e) { return e.minute_late & (kLateFlag - 1); }
CLICKAGG_HD bool is_late(const DeviceEvent& e) { return (e.minute_late & kLateFlag) != 0; }

// --- filters -------------------------------------------------------------------------------
// The filter table in device memory: per filter, ranges into three flat value arrays. An empty
// range means the filter does not name that field (matches everything). Filter k (0-based, in
// FilterSet order, i.e. ascending id) counts into group slot k + 1; slot 0 is "all clicks".
// Global rather than __constant__ memory: 1024 filters with their value lists can pass the
// 64 KB constant bank, and every lane of a warp walks the same filter entries in the same
// order, so the reads are uniform and served from L1 as broadcasts either way.
struct DeviceFilter {
  uint32_t country_begin, country_end;
  uint32_t cidr_begin, cidr_end;
  uint32_t user_begin, user_end;
};
struct DeviceCountry {
  char code[16];
  uint32_t len;
};
struct FilterTableRef {
  const DeviceFilter* filters = nullptr;
  const DeviceCountry* countries = nullptr;
  const Cidr* cidrs = nullptr;
  const uint32_t* users = nullptr;  // user tokens
  uint32_t count = 0;               // number of filters (slots - 1)
};
static_assert(std::is_trivially_copyable_v<FilterTableRef>);

// The user ids filters name, for the device to give each event its token: open addressing
// over the ids' bytes_hash64 (the hash the decoder wrote in the user_hash column), linear
// probing; equal hashes are settled on the bytes. mask == 0: no filter names a user id.
struct UserSlot {
  uint64_t hash;
  uint32_t token;  // kNoToken: empty
  uint32_t off;    // the id's bytes: names[off, off + len)
  uint32_t len;
  uint32_t reserved;
};
struct UserTableRef {
  const UserSlot* slots = nullptr;
  const char* names = nullptr;
  uint64_t mask = 0;  // capacity - 1
};
static_assert(std::is_trivially_copyable_v<UserTableRef> && sizeof(UserSlot) == 24);

// --- group keys ----------------------------------------------------------------------------
// A count table is per minute, so its key is (slot, ad): slot in bits 32..42 (0..1024), ad in
// bits 0..31.
constexpr int kSlotShift = 32;
constexpr int kCountKeyBits = 43;

CLICKAGG_HD uint64_t count_key(uint32_t slot, uint32_t ad) {
  return (static_cast<uint64_t>(slot) << kSlotShift) | ad;
}
CLICKAGG_HD uint32_t key_slot(uint64_t key) { return static_cast<uint32_t>(key >> kSlotShift); }
CLICKAGG_HD uint32_t key_ad(uint64_t key) { return static_cast<uint32_t>(key); }

// Groups with their counts on the device, each key once (any order): a minute's counts or a
// window's sums, what top-N selection reads (topn_select.h).
struct GroupsRef {
  const unsigned long long* keys = nullptr;
  const unsigned long long* counts = nullptr;
  uint64_t n = 0;
};

// Smallest b with 2^b >= n (0 for n <= 1): how many key bits a sort has to look at.
CLICKAGG_HD int bits_for(uint64_t n) {
  int b = 0;
  while (b < 64 && (1ull << b) < n) ++b;
  return b;
}

// Inside one chunk a group is (chunk-local minute, slot, ad), packed tight: ad in the low
// ad_bits, slot above it, minute above both. The chunk's sort then looks at
// bits_for(minutes) + slot_bits + ad_bits bits only: about 26 for 2 M ads, 4 filters and one
// minute (4 radix passes), against 44 with the fields at fixed places.
struct ChunkKeyLayout {
  int ad_bits = 32, slot_bits = 11;
  CLICKAGG_HD unsigned long long key(uint32_t minute, uint32_t slot, uint32_t ad) const {
    return (static_cast<unsigned long long>(minute) << (slot_bits + ad_bits)) |
           (static_cast<unsigned long long>(slot) << ad_bits) | ad;
  }
  CLICKAGG_HD uint32_t minute(unsigned long long k) const { return static_cast<uint32_t>(k >> (slot_bits + ad_bits)); }
  // The count table's key of chunk key k.
  CLICKAGG_HD uint64_t count_key_of(unsigned long long k) const {
    const auto slot = static_cast<uint32_t>((k >> ad_bits) & ((1ull << slot_bits) - 1));
    const auto ad = static_cast<uint32_t>(k & ((1ull << ad_bits) - 1));
    return count_key(slot, ad);
  }
  CLICKAGG_HD int end_bit(uint64_t minutes) const { return ad_bits + slot_bits + bits_for(minutes); }
};

// The tightest layout for ad indexes below `ads` and group slots below `slots`.
CLICKAGG_HD ChunkKeyLayout chunk_key_layout(uint64_t ads, uint64_t slots) {
  return ChunkKeyLayout{bits_for(ads), bits_for(slots)};
}

// --- ad names --------------------------------------------------------------------------------
// The dictionary's names on the device (device_dictionary.h): ad index i's bytes are
// arena[off[i], off[i] + len[i]).
struct NamesRef {
  const char* arena = nullptr;
  const uint32_t* off = nullptr;
  const uint8_t* len = nullptr;
};

// Orders (slot << 32 | ad) items by slot, then by the ad's name bytes as unsigned chars, a
// shorter name before its extensions: the top-N tie-break of host/engine/topn_order.h.
struct SlotNameLess {
  NamesRef names;
  CLICKAGG_HD bool operator()(unsigned long long a, unsigned long long b) const {
    if ((a >> 32) != (b >> 32)) return (a >> 32) < (b >> 32);
    const auto x = static_cast<uint32_t>(a), y = static_cast<uint32_t>(b);
    const auto* p = reinterpret_cast<const unsigned char*>(names.arena + names.off[x]);
    const auto* q = reinterpret_cast<const unsigned char*>(names.arena + names.off[y]);
    const uint32_t lp = names.len[x], lq = names.len[y];
    for (uint32_t i = 0; i < lp && i < lq; ++i)
      if (p[i] != q[i]) return p[i] < q[i];
    return lp < lq;
  }
};

// --- device error word ---------------------------------------------------------------------
// Kernels never trap: they set a bit in the engine's error word, which the host checks at
// every synchronisation and turns into an exception. These are invariant violations (the host
// sizes every table before the kernels run), so any bit set means a bug, not bad input.
constexpr unsigned kErrTableFull = 1u;       // a probe went round a whole table
constexpr unsigned kErrOutputOverflow = 2u;  // a gather found more entries than expected
constexpr unsigned kErrCountTooLarge = 4u;   // a top-N sum does not fit the rank key
constexpr unsigned kErrExpansion = 8u;       // a chunk expanded differently in two passes
constexpr unsigned kErrSumBelowZero = 16u;   // a window's sum lost more than it held
constexpr unsigned kErrDictionaryFull = 32u; // the ad dictionary's table had no room

}  // namespace clickagg::CLICKAGG_DEVICE_NS
