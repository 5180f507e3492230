#include "host/engine/ad_dictionary.h"

#include <algorithm>
#include <cstdint>
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

void AdDictionary::commit(ThreadPool* pool) {
  // In order of first appearance across the shards: each shard's list is in that order
  // already, so the lists are merged (the shard whose next name appeared first goes next),
  // not sorted.
  order_.clear();
  std::vector<size_t> next(shards_.size(), 0);
  for (;;) {
    unsigned best = 0;
    uint64_t first = UINT64_MAX;
    bool any = false;
    for (unsigned s = 0; s < shards_.size(); ++s) {
      const Shard& sh = shards_[s];
      if (next[s] < sh.staged.size() && (!any || sh.staged[next[s]].first < first)) {
        best = s;
        first = sh.staged[next[s]].first;
        any = true;
      }
    }
    if (!any) break;
    const Shard& sh = shards_[best];
    // Run on while this shard stays ahead of the others' next names.
    uint64_t others = UINT64_MAX;
    for (unsigned s = 0; s < shards_.size(); ++s)
      if (s != best && next[s] < shards_[s].staged.size()) others = std::min(others, shards_[s].staged[next[s]].first);
    for (size_t& k = next[best]; k < sh.staged.size() && sh.staged[k].first < others; ++k)
      order_.emplace_back(best, static_cast<uint32_t>(k));
  }
  // The table grows once; then each name is copied to its place, on every thread when there
  // are many (a batch's new names, each read from the batch's text). A range starts where the
  // names before it end.
  const size_t n = order_.size();
  const unsigned parts = pool == nullptr || n < 4096 ? 1 : pool->size();
  auto length = [&](size_t g) { return shards_[order_[g].first].staged[order_[g].second].name.size(); };
  std::vector<uint64_t> range_bytes(parts + 1, 0);
  for (unsigned r = 0; r < parts; ++r)
    for (size_t g = n * r / parts; g < n * (r + 1) / parts; ++g) range_bytes[r + 1] += length(g);
  for (unsigned r = 0; r < parts; ++r) range_bytes[r + 1] += range_bytes[r];
  const uint64_t byte_base = names_->bytes();
  const uint32_t base = names_->extend(n, range_bytes[parts]);
  auto place = [&](unsigned r) {
    uint64_t at = byte_base + range_bytes[r];
    for (size_t g = n * r / parts; g < n * (r + 1) / parts; ++g) {
      Shard& sh = shards_[order_[g].first];
      const Staged& st = sh.staged[order_[g].second];
      const auto global = static_cast<uint32_t>(base + g);
      names_->place(global, at, st.name);
      at += st.name.size();
      sh.global[st.local] = global;
    }
  };
  if (parts == 1) place(0);
  else pool->run(place);
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
