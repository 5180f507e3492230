// The engine's ad dictionary: ad ids interned to dense global indexes, assigned in order of
// first appearance, with their names in one AdNames table that results share.
//
// The index over the names is split into shards by the hash's high bits, each with its own
// dense local indexes, so every shard interns its ads on its own thread. A name new to a batch
// is staged in its shard (compared against by the batch's own bytes) and gets its global index
// at commit(), when the shards' staged names are merged in the order they first appeared: the
// global indexes are then the same for any number of shards. Count tables key by local index,
// so counting never waits for the commit.
//
// A probe settles on the slot's hash tag, then on the name's head (its first 15 bytes and its
// length, kept per local index): the bytes themselves are compared only for names longer than
// 15 bytes, so a hit costs two cache lines, not a walk to the names table.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "host/engine/ad_names.h"
#include "host/engine/flat_tables.h"
#include "host/engine/thread_pool.h"

namespace clickagg {

class AdDictionary {
 public:
  explicit AdDictionary(unsigned shards = 1);

  unsigned shards() const { return static_cast<unsigned>(shards_.size()); }
  // The high half of the hash scaled to the shard count (a multiply, not a division).
  unsigned shard_of(uint64_t hash) const { return static_cast<unsigned>(((hash >> 32) * shards_.size()) >> 32); }
  AdNamesPtr names() const { return names_; }
  const AdNames& name_table() const { return *names_; }
  uint32_t size() const { return names_->size(); }
  // Ads of shard s (committed and staged).
  uint32_t shard_size(unsigned s) const { return static_cast<uint32_t>(shards_[s].hashes.size()); }

  // A name's first 15 bytes and its length: equal heads mean equal names up to 15 bytes.
  struct Head {
    uint64_t w0 = 0, w1 = 0;  // bytes 0..14 zero-padded, byte 15 = min(length, 255)
    bool operator==(const Head&) const = default;
  };
  static Head head_of(std::string_view ad) {
    unsigned char b[16] = {};
    if (!ad.empty()) std::memcpy(b, ad.data(), ad.size() < 15 ? ad.size() : 15);
    return padded_head(reinterpret_cast<const char*>(b), ad.size());
  }
  // The same where 16 bytes are readable at p (a batch's text, kColumnPad): two word loads,
  // masked, instead of a byte copy that the loads would have to wait for.
  static Head padded_head(const char* p, size_t n) {
    uint64_t w0, w1;
    std::memcpy(&w0, p, 8);
    std::memcpy(&w1, p + 8, 8);
    auto low = [](size_t bytes) { return bytes >= 8 ? ~0ULL : (bytes == 0 ? 0ULL : ~0ULL >> (64 - 8 * bytes)); };
    w0 &= low(n);
    w1 &= low(n <= 8 ? 0 : (n >= 15 ? 7 : n - 8));
    w1 |= static_cast<uint64_t>(n < 255 ? n : 255) << 56;
    return Head{w0, w1};
  }
  // Batched probes: touch the slot of a name a few events ahead, then (once that line is in)
  // the head of the name it holds, so that intern() finds both in the cache.
  void prefetch(unsigned s, uint64_t hash) const {
    const Shard& sh = shards_[s];
    if (!sh.slots.empty()) __builtin_prefetch(sh.slots.data() + (hash & (sh.slots.size() - 1)));
  }
  void prefetch_head(unsigned s, uint64_t hash) const {
    const Shard& sh = shards_[s];
    if (sh.slots.empty()) return;
    const uint64_t slot = sh.slots[hash & (sh.slots.size() - 1)];
    if (slot != 0) __builtin_prefetch(sh.heads.data() + (static_cast<uint32_t>(slot) - 1));
  }
  // The local index of `ad` (hash = bytes_hash64(ad)) in shard s; a new name is staged, and
  // `ad` must stay valid until commit(). `event`: the caller's arrival number of this use,
  // ascending within a shard between commits. One thread per shard at a time.
  uint32_t intern(unsigned s, uint64_t hash, std::string_view ad, uint64_t event) {
    return intern(s, hash, head_of(ad), [ad] { return ad; }, event);
  }
  // The same with the head already known; name() yields the bytes, and is called only for a
  // name longer than 15 bytes or one new to the shard.
  template <class Name>
  uint32_t intern(unsigned s, uint64_t hash, const Head& head, Name&& name, uint64_t event) {
    Shard& sh = shards_[s];
    if ((sh.hashes.size() + 1) * 2 > sh.slots.size()) grow(sh);
    const size_t mask = sh.slots.size() - 1;
    const bool long_name = (head.w1 >> 56) > 15;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const uint64_t slot = sh.slots[i];
      if (slot == 0) return add(sh, i, hash, head, name(), event);
      const auto local = static_cast<uint32_t>(slot) - 1;
      if (static_cast<uint32_t>(slot >> 32) == static_cast<uint32_t>(hash >> 32) && sh.heads[local] == head &&
          (!long_name || name_of(sh, local) == name()))
        return local;
    }
  }
  // Gives the staged names their global indexes, in order of first appearance; with a pool,
  // the names are copied into the table on all its threads.
  void commit(ThreadPool* pool = nullptr);
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
    // Probed at random per event: on huge pages (flat_tables.h).
    std::vector<uint64_t, HugePageAllocator<uint64_t>> slots;   // (hash >> 32) << 32 | local + 1; 0 = empty
    std::vector<uint64_t, HugePageAllocator<uint64_t>> hashes;  // per local index
    std::vector<Head, HugePageAllocator<Head>> heads;           // per local index
    std::vector<uint32_t, HugePageAllocator<uint32_t>> global;  // per local index; kStaged until commit
    std::vector<Staged> staged;    // in order of first appearance
    uint32_t committed = 0;        // locals below this have a global index
  };
  std::string_view name_of(const Shard& sh, uint32_t local) const {
    return local < sh.committed ? names_->name(sh.global[local]) : sh.staged[local - sh.committed].name;
  }
  static void grow(Shard& sh);
  static uint32_t add(Shard& sh, size_t slot, uint64_t hash, const Head& head, std::string_view ad, uint64_t event);

  std::shared_ptr<AdNames> names_;
  std::vector<Shard> shards_;
  std::vector<std::pair<uint32_t, uint32_t>> order_;  // commit(): (shard, staged) by first appearance
};

}  // namespace clickagg
