// Interns ad_id strings to dense indexes so count tables hold 4-byte keys instead of strings.
// Strings live in one growing byte buffer addressed by offset; the index table is open
// addressing over those indexes.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

namespace clickagg {

class AdDictionary {
 public:
  uint32_t intern(std::string_view ad) { return intern(ad, hash(ad)); }
  // With the hash already computed by the caller (hash(ad)).
  uint32_t intern(std::string_view ad, uint64_t h);
  // Index of `ad`, or kMissing.
  static constexpr uint32_t kMissing = 0xFFFFFFFFu;
  uint32_t find(std::string_view ad) const;
  std::string_view name(uint32_t index) const {
    return {bytes_.data() + offsets_[index], offsets_[index + 1] - offsets_[index]};
  }
  uint32_t size() const { return static_cast<uint32_t>(offsets_.size() - 1); }
  // The hash the table uses; engines shard ads by its high bits.
  static uint64_t hash(std::string_view s);

 private:
  void grow();
  std::vector<char> bytes_;
  std::vector<uint32_t> offsets_{0};
  std::vector<uint64_t> hashes_;  // per index, so growing needs no rehash of strings
  // Slot: high 32 bits of the hash | index + 1 (0 = empty). The tag settles almost every
  // probe without touching the string bytes.
  std::vector<uint64_t> slots_;
};

}  // namespace clickagg
