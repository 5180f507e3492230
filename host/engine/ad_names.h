// Ad names by dense index: the engine's dictionary (append-only, so an index always names the
// same ad), or a table built for a few results (a decoded message, a store read). Results
// carry indexes and share the table; nothing copies a name until it is written out.
//
// Byte order of names goes through a key kept with each name, its first 16 bytes as two
// big-endian words (zero-padded): equal keys, rare, fall back to comparing the bytes, so
// sorting rows or ranking ties seldom touches the names themselves.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "host/engine/flat_tables.h"

namespace clickagg {

struct NameKey {
  uint64_t hi = 0, lo = 0;
  bool operator==(const NameKey&) const = default;
  auto operator<=>(const NameKey&) const = default;
};

class AdNames {
 public:
  uint32_t size() const { return static_cast<uint32_t>(keys_.size()); }
  size_t bytes() const { return bytes_.size(); }  // of all names
  // Valid until the next add() (the bytes may move).
  std::string_view name(uint32_t i) const {
    return {bytes_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }
  const NameKey& key(uint32_t i) const { return keys_[i]; }
  // Appends a name (no check for an equal one) and returns its index.
  uint32_t add(std::string_view name);
  // Appends room for `names` names of `bytes` bytes in all and returns the first one's index;
  // each is then written once by place(), in any order and from any thread, with byte
  // offsets that ascend with the indexes and leave no gap (a caller's prefix sum).
  uint32_t extend(size_t names, size_t bytes);
  void place(uint32_t i, size_t offset, std::string_view name);
  void reserve(size_t names, size_t bytes);

  // Byte order of names a and b.
  bool less(uint32_t a, uint32_t b) const {
    if (keys_[a] != keys_[b]) return keys_[a] < keys_[b];
    return name(a) < name(b);
  }
  static NameKey key_of(std::string_view name);

 private:
  std::vector<char> bytes_;
  std::vector<uint32_t> offsets_{0};
  // Read at random per row when rows are ordered: on huge pages (flat_tables.h).
  std::vector<NameKey, HugePageAllocator<NameKey>> keys_;
};

using AdNamesPtr = std::shared_ptr<const AdNames>;

}  // namespace clickagg
