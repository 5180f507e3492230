#include "host/engine/ad_dictionary.h"

#include <stdexcept>

#include "host/common/bytes_hash.h"

namespace clickagg {

namespace {
inline uint32_t tag_of(uint64_t h) { return static_cast<uint32_t>(h >> 32); }
}  // namespace

AdDictionary::AdDictionary(unsigned shards) : names_(std::make_shared<AdNames>()), shards_(shards == 0 ? 1 : shards) {}

void AdDictionary::grow(Shard& sh) {
  sh.slots.assign(sh.slots.empty() ? 1024 : sh.slots.size() * 2, 0);
  const size_t mask = sh.slots.size() - 1;
  for (uint32_t local = 0; local < sh.hashes.size(); ++local) {
    const uint64_t h = sh.hashes[local];
    size_t i = h & mask;
    while (sh.slots[i] != 0) i = (i + 1) & mask;
    sh.slots[i] = (static_cast<uint64_t>(tag_of(h)) << 32) | (local + 1);
  }
}

uint32_t AdDictionary::intern(unsigned s, uint64_t hash, std::string_view ad, uint64_t event) {
  Shard& sh = shards_[s];
  if ((sh.hashes.size() + 1) * 2 > sh.slots.size()) grow(sh);
  const size_t mask = sh.slots.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint64_t slot = sh.slots[i];
    if (slot == 0) {
      if (sh.hashes.size() >= kStaged - 1) throw std::length_error("ad dictionary full");
      const auto local = static_cast<uint32_t>(sh.hashes.size());
      sh.hashes.push_back(hash);
      sh.global.push_back(kStaged);
      sh.staged.push_back(Staged{event, local, ad});
      sh.slots[i] = (static_cast<uint64_t>(tag_of(hash)) << 32) | (local + 1);
      return local;
    }
    const auto local = static_cast<uint32_t>(slot) - 1;
    if (static_cast<uint32_t>(slot >> 32) == tag_of(hash) && name_of(sh, local) == ad) return local;
  }
}

void AdDictionary::commit() {
  // Merge by first appearance; every shard's list is in that order already.
  std::vector<size_t> next(shards_.size(), 0);
  for (;;) {
    size_t best = shards_.size();
    for (size_t s = 0; s < shards_.size(); ++s) {
      if (next[s] == shards_[s].staged.size()) continue;
      if (best == shards_.size() || shards_[s].staged[next[s]].first < shards_[best].staged[next[best]].first) best = s;
    }
    if (best == shards_.size()) break;
    Shard& sh = shards_[best];
    const Staged& st = sh.staged[next[best]++];
    sh.global[st.local] = names_->add(st.name);
  }
  for (Shard& sh : shards_) {
    sh.staged.clear();
    sh.committed = static_cast<uint32_t>(sh.hashes.size());
  }
}

std::pair<unsigned, uint32_t> AdDictionary::intern_now(std::string_view ad) {
  const uint64_t h = bytes_hash64(ad.data(), ad.size());
  const unsigned s = shard_of(h);
  const uint32_t local = intern(s, h, ad, 0);
  if (shards_[s].global[local] == kStaged) commit();
  return {s, local};
}

}  // namespace clickagg
