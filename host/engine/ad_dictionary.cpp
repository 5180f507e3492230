#include "host/engine/ad_dictionary.h"

#include <algorithm>
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

uint32_t AdDictionary::add(Shard& sh, size_t slot, uint64_t hash, const Head& head, std::string_view ad,
                           uint64_t event) {
  if (sh.hashes.size() >= kStaged - 1) throw std::length_error("ad dictionary full");
  const auto local = static_cast<uint32_t>(sh.hashes.size());
  sh.hashes.push_back(hash);
  sh.heads.push_back(head);
  sh.global.push_back(kStaged);
  sh.staged.push_back(Staged{event, local, ad});
  sh.slots[slot] = (static_cast<uint64_t>(tag_of(hash)) << 32) | (local + 1);
  return local;
}

void AdDictionary::commit() {
  // In order of first appearance across the shards (each shard's list is in that order).
  struct Ref {
    uint64_t first;
    uint32_t shard, index;
  };
  std::vector<Ref> order;
  for (uint32_t s = 0; s < shards_.size(); ++s)
    for (uint32_t k = 0; k < shards_[s].staged.size(); ++k) order.push_back(Ref{shards_[s].staged[k].first, s, k});
  if (shards_.size() > 1)
    std::sort(order.begin(), order.end(), [](const Ref& a, const Ref& b) { return a.first < b.first; });
  for (const Ref& r : order) {
    Shard& sh = shards_[r.shard];
    const Staged& st = sh.staged[r.index];
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
