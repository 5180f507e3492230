// The GPU engine's ad dictionary on the device: ad ids interned to dense indexes assigned in
// order of first appearance (the host AdDictionary's indexes, for the same input), so that only
// the names new to a batch cross back to the host.
//
// Per call, over the batch's n kept events (their ad bytes, lengths and hashes uploaded as the
// decoder wrote them):
//   1. probe: each event finds its name in an open-addressing table over the ad hashes, or
//      claims an empty slot for it with a 64-bit compare-and-swap ((hash >> 32) << 32 | a
//      pending mark holding the claimer's position). Equal tags are settled by comparing the
//      bytes: of a committed name in the device's name arena, of a pending one in the batch.
//      Every event on a pending slot then takes atomicMin(first[slot], position): the
//      minimum is the name's first appearance, whatever order the atomics ran in;
//   2. the first appearances are flagged, and an exclusive sum over the flags (in event order)
//      numbers the new names: index = size + rank, the host dictionary's order;
//   3. the new names commit (slot = tag | index + 1; hash, arena offset and bytes stored per
//      index) and every event reads its index from its slot.
// The host does not wait for a call: the committed count and arena use live on the device
// (DictionaryState), so the next call numbers from them. The call's totals come back with the
// caller's next synchronisation (absorb()), the new names' lengths and bytes (copied from the
// device's tables) with the one after, when they join the AdNames table (the results' view of
// the names); settle() waits for both.
//
// The table keeps its load at or under 1/2 (resized on the host's count before a call, by
// re-inserting the committed names from their stored hashes); a probe that finds no room sets
// kErrTableFull in the error word.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "host/engine/ad_names.h"
#include "kernels/device_layout.h"
#include "kernels/device_memory.h"
#include "kernels/system/algorithms.h"
#include "kernels/system/runtime.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

// One call's ads, in host memory: event e's name is text[off[e], off[e] + len[e]) with hash
// hash[e] (bytes_hash64). The events interned, in arrival order, are kept[0, n) in host
// memory, or, where d_kept is set, d_kept[0, kept_n) in device memory (kept is then unused);
// where d_bound is set too, only the first *d_bound of those (a count the device holds: the
// host then queues the call without knowing it, and kept_n bounds it).
struct AdsIn {
  std::span<const char> text;
  std::span<const uint32_t> off;
  std::span<const uint8_t> len;
  std::span<const uint64_t> hash;
  std::span<const uint32_t> kept;
  const uint32_t* d_kept = nullptr;
  size_t kept_n = 0;
  const unsigned long long* d_bound = nullptr;
};

// The committed names on the device: their number and the bytes they take in the arena.
struct DictionaryState {
  unsigned long long arena_used;
  uint32_t size;
  uint32_t reserved;
};

class DeviceDictionary {
 public:
  DeviceDictionary(sys::Stream stream, unsigned* d_error);
  DeviceDictionary(const DeviceDictionary&) = delete;
  DeviceDictionary& operator=(const DeviceDictionary&) = delete;

  // The names by index (shared with results), and their number: all names once settled.
  AdNamesPtr names() const { return names_; }
  uint32_t size() const { return size_; }
  // At least the number of names interned so far, settled or not (indexes are below it).
  uint64_t size_bound() const { return size_bound_; }

  // Interns the kept events' ads; returns the device array of their indexes (position k: the
  // k-th kept event's), valid until the next call. Queued only: names() has the new names once
  // absorbed or settled.
  const uint32_t* intern(const AdsIn& in);
  // Takes in what has arrived of the last call, the caller having synchronised the stream
  // since it (or since the last absorb()): first the call's totals (the copy of its new names
  // is then queued), then the names.
  void absorb();
  // Waits for and takes in the last call's new names.
  void settle();
  bool settled() const { return !totals_pending_ && names_n_ == 0; }
  // The committed names on the device (valid until the next intern()).
  NamesRef names_ref() const { return NamesRef{arena_.data(), name_off_.data(), name_len_.data()}; }
  // The last intern() call's text buffer on the device (the batch's ad and user id bytes),
  // valid until the next call.
  const char* text() const { return text_.data(); }
  // The same for names given on the host (restoring state); returns their indexes.
  std::vector<uint32_t> intern_names(std::span<const std::string_view> names);

 private:
  void reserve_slots(size_t names);

  sys::Stream stream_;
  unsigned* d_error_;
  sys::Scratch temp_;
  std::shared_ptr<AdNames> names_;
  uint32_t size_ = 0;         // names taken in (names_)
  uint64_t arena_used_ = 0;   // bytes of their names
  uint64_t size_bound_ = 0, arena_bound_ = 0;  // with what is not taken in yet, at most
  bool totals_pending_ = false;                // the last call's totals are on their way back
  uint32_t names_n_ = 0, names_bytes_ = 0;     // new names (and bytes) on their way back
  DeviceArray<DictionaryState> state_;

  // The table: slot words and, per slot, the smallest position claiming it in this call.
  DeviceArray<unsigned long long> slots_;
  DeviceArray<uint32_t> first_;
  // Per committed index: hash, name offset and length in the arena.
  DeviceArray<unsigned long long> hash_;
  DeviceArray<uint32_t> name_off_;
  DeviceArray<uint8_t> name_len_;
  DeviceArray<char> arena_;
  // Per call: the inputs on the device, then per position: slot, new-name flag, its rank and
  // arena offset, and the result.
  DeviceArray<char> text_;
  DeviceArray<uint32_t> off_, kept_;
  DeviceArray<uint8_t> len_;
  DeviceArray<unsigned long long> in_hash_;
  DeviceArray<uint32_t> slot_of_, flag_, rank_, bytes_, byte_off_, ids_, totals_;
  struct Readback {
    uint32_t new_names;
    uint32_t new_bytes;
    unsigned error;
  };
  PinnedArray<Readback> rb_;
  PinnedArray<uint8_t> lens_h_;
  PinnedArray<char> bytes_h_;
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
