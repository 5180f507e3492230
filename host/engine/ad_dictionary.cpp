#include "host/engine/ad_dictionary.h"

#include <cstring>
#include <stdexcept>

#include "host/common/hash128.h"

namespace clickagg {

uint64_t AdDictionary::hash(std::string_view s) {
  // FNV-1a over 8-byte words then a strong mixer: ad ids are short, this is cheap.
  uint64_t h = 0xcbf29ce484222325ULL ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail) * 0x100000001b3ULL;
  return mix64(h);
}

namespace {
inline uint32_t tag_of(uint64_t h) { return static_cast<uint32_t>(h >> 32); }
}  // namespace

uint32_t AdDictionary::find(std::string_view ad) const {
  if (slots_.empty()) return kMissing;
  const uint64_t h = hash(ad);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == 0) return kMissing;
    const uint32_t idx = static_cast<uint32_t>(slot) - 1;
    if (static_cast<uint32_t>(slot >> 32) == tag_of(h) && name(idx) == ad) return idx;
  }
}

uint32_t AdDictionary::intern(std::string_view ad, uint64_t h) {
  if ((size() + 1) * 2 > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == 0) {
      const uint32_t fresh = size();
      if (bytes_.size() + ad.size() > UINT32_MAX) throw std::length_error("ad dictionary full");
      bytes_.insert(bytes_.end(), ad.begin(), ad.end());
      offsets_.push_back(static_cast<uint32_t>(bytes_.size()));
      hashes_.push_back(h);
      slots_[i] = (static_cast<uint64_t>(tag_of(h)) << 32) | (fresh + 1);
      return fresh;
    }
    const uint32_t idx = static_cast<uint32_t>(slot) - 1;
    if (static_cast<uint32_t>(slot >> 32) == tag_of(h) && name(idx) == ad) return idx;
  }
}

void AdDictionary::grow() {
  slots_.assign(slots_.empty() ? 1024 : slots_.size() * 2, 0);
  const size_t mask = slots_.size() - 1;
  for (uint32_t idx = 0; idx < size(); ++idx) {
    size_t i = hashes_[idx] & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = (static_cast<uint64_t>(tag_of(hashes_[idx])) << 32) | (idx + 1);
  }
}

}  // namespace clickagg
