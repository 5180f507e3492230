// The engine's ad dictionary: ad ids interned to dense global indexes, assigned in order of
// first appearance, with their names in one AdNames table that results share.
//
// The index over the names is split into shards by the hash's high bits, each with its own
// dense local indexes, so every shard interns its ads on its own thread. A name new to a batch
// is staged in its shard (compared against by the batch's own bytes) and gets its global index
// at commit(), when the shards' staged names are merged in the order they first appeared: the
// global indexes are then the same for any number of shards. Count tables key by local index,
// so counting never waits for the commit.
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "host/engine/ad_names.h"

namespace clickagg {

class AdDictionary {
 public:
  explicit AdDictionary(unsigned shards = 1);

  unsigned shards() const { return static_cast<unsigned>(shards_.size()); }
  unsigned shard_of(uint64_t hash) const {
    return shards_.size() == 1 ? 0 : static_cast<unsigned>((hash >> 32) % shards_.size());
  }
  AdNamesPtr names() const { return names_; }
  const AdNames& name_table() const { return *names_; }
  uint32_t size() const { return names_->size(); }
  // Ads of shard s (committed and staged).
  uint32_t shard_size(unsigned s) const { return static_cast<uint32_t>(shards_[s].hashes.size()); }

  void prefetch(unsigned s, uint64_t hash) const {
    const Shard& sh = shards_[s];
    if (!sh.slots.empty()) __builtin_prefetch(sh.slots.data() + (hash & (sh.slots.size() - 1)));
  }
  // The local index of `ad` (hash = bytes_hash64(ad)) in shard s; a new name is staged, and
  // `ad` must stay valid until commit(). `event`: the caller's arrival number of this use,
  // ascending within a shard between commits. One thread per shard at a time.
  uint32_t intern(unsigned s, uint64_t hash, std::string_view ad, uint64_t event);
  // Gives the staged names their global indexes, in order of first appearance.
  void commit();
  uint32_t global(unsigned s, uint32_t local) const { return shards_[s].global[local]; }

  // Finds or adds `ad` at once (restoring state); returns (shard, local index).
  std::pair<unsigned, uint32_t> intern_now(std::string_view ad);

 private:
  static constexpr uint32_t kStaged = 0xFFFFFFFFu;
  struct Staged {
    uint64_t first;
    uint32_t local;
    std::string_view name;
  };
  struct Shard {
    std::vector<uint64_t> slots;   // (hash >> 32) << 32 | local + 1; 0 = empty
    std::vector<uint64_t> hashes;  // per local index
    std::vector<uint32_t> global;  // per local index; kStaged until commit
    std::vector<Staged> staged;    // in order of first appearance
    uint32_t committed = 0;        // locals below this have a global index
  };
  std::string_view name_of(const Shard& sh, uint32_t local) const {
    return local < sh.committed ? names_->name(sh.global[local]) : sh.staged[local - sh.committed].name;
  }
  static void grow(Shard& sh);

  std::shared_ptr<AdNames> names_;
  std::vector<Shard> shards_;
};

}  // namespace clickagg
