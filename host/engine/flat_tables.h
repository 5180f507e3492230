// Open-addressing tables for the CPU engine's hot path: per-minute group counts keyed by
// (ad, slot) and per-minute dedup fingerprint sets. Linear probing, load kept at or under
// 7/10, no allocation per entry.
//
// A group's position is the hash of its ad plus its slot, so the slots one event counts into
// (all clicks, then each matching filter) lie side by side: one cache line for most events.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <memory_resource>
#include <new>
#include <utility>

#include "host/common/hash128.h"

namespace clickagg {

// Zero-initialised storage for n values of a trivially copyable T. From 2 MiB up it is a
// private anonymous mapping, 2 MiB aligned and advised for transparent huge pages (a probe
// then costs no TLB miss of its own), recycled between tables (flat_tables.cpp).
void* table_alloc(size_t bytes);
void table_free(void* p, size_t bytes);
// The same memory as a std::pmr::memory_resource (blocks under 2 MiB from the heap):
// the CPU engine's batch columns, about 100 MB at a million events, then sit on huge pages
// and fault in 2 MiB at a time rather than 4 KiB.
std::pmr::memory_resource* table_memory_resource();

// A std::allocator for the engine's large arrays that grow (the ad dictionary's slots and
// per-name arrays): from 2 MiB up its blocks are table_alloc's, on transparent huge pages,
// where plain heap memory would be on 4 KiB pages (transparent huge pages are commonly
// "madvise" only): a random probe into tens of MB then costs no page walk of its own.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}
  T* allocate(size_t n) { return static_cast<T*>(table_alloc(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { table_free(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

// Room for n elements, grown by at least half again when short: reserve(n) alone would
// reallocate at every small growth, a fresh block (and fresh pages) each time.
template <class V>
void reserve_grown(V& v, size_t n) {
  if (n > v.capacity()) v.reserve(std::max(n, v.capacity() + v.capacity() / 2));
}

template <class T>
class TableStorage {
 public:
  TableStorage() = default;
  explicit TableStorage(size_t n) : n_(n) {
    if (n > 0) p_ = static_cast<T*>(table_alloc(n * sizeof(T)));
  }
  ~TableStorage() { release(); }
  TableStorage(TableStorage&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  TableStorage& operator=(TableStorage&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }
  TableStorage(const TableStorage&) = delete;
  TableStorage& operator=(const TableStorage&) = delete;

  T* data() const { return p_; }
  size_t size() const { return n_; }
  T& operator[](size_t i) const { return p_[i]; }

 private:
  void release() {
    if (p_ != nullptr) table_free(p_, n_ * sizeof(T));
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  size_t n_ = 0;
};

// Capacities are not powers of two: a probe starts at the 64-bit hash scaled to the capacity
// (the high half of hash * capacity), so a table is sized to its keys at a load of at most
// 7/10 rather than rounded up to the next power of two.
__extension__ typedef unsigned __int128 uint128_t;
inline size_t scaled(uint64_t h, size_t cap) { return static_cast<size_t>((static_cast<uint128_t>(h) * cap) >> 64); }
inline size_t capacity_for(size_t keys) {
  const size_t cap = keys + keys / 2 + keys / 8 + 16;  // keys / 0.7 or a little more
  return (cap + 3) & ~size_t(3);                      // whole cache lines of 16-byte slots
}
inline bool over_load(size_t keys, size_t cap) { return keys * 10 > cap * 7; }

// Counts per (ad, slot) for one minute. Keys are stored as ad + 1 so that an all-zero slot is
// empty.
//
// Each table hashes with a seed of its own: walking one table visits its groups in the order
// of its hash, and adding them to another table hashed the same way (a restore filling a
// table from another's walk) would pile them onto a few positions while it is still small.
class GroupTable {
 public:
  struct Entry {
    uint32_t ad1;  // ad + 1; 0: empty
    uint32_t slot;
    uint64_t count;
  };

  GroupTable() = default;
  // Room for `groups` entries before the first growth.
  explicit GroupTable(uint64_t seed, size_t groups = 0) : seed_(mix64(seed)) {
    if (groups > 0) rebuild(capacity_for(groups));
  }

  size_t base_of(uint32_t ad) const { return scaled(mix64(ad ^ seed_), cap_); }
  // Touches the line of (ad, 0) ahead of an add().
  void prefetch(uint32_t ad) const {
    if (cap_ == 0) return;
    const size_t b = base_of(ad);
    __builtin_prefetch(slots_.data() + b, 1);
    __builtin_prefetch(slots_.data() + wrap(b + 4), 1);  // the slots after 0 may cross a line
  }

  void add(uint32_t ad, uint32_t slot, uint64_t n) {
    if (over_load(size_ + 1, cap_)) rebuild(grown());
    add_at(base_of(ad), ad, slot, n);
  }
  // One event: +1 in slot 0 and in each of `slots`.
  template <class Slots>
  void add_event(uint32_t ad, const Slots& slots) {
    if (over_load(size_ + 1 + slots.size(), cap_)) rebuild(std::max(grown(), capacity_for(size_ + 1 + slots.size())));
    const size_t base = base_of(ad);
    add_at(base, ad, 0, 1);
    for (uint32_t s : slots) add_at(base, ad, s, 1);
  }
  uint64_t get(uint32_t ad, uint32_t slot) const {
    if (cap_ == 0) return 0;
    const uint32_t key = ad + 1;
    for (size_t i = home(base_of(ad), slot);; i = next(i)) {
      const Entry& e = slots_[i];
      if (e.ad1 == key && e.slot == slot) return e.count;
      if (e.ad1 == 0) return 0;
    }
  }
  size_t size() const { return size_; }  // groups
  size_t capacity() const { return cap_; }

  // f(ad, slot, count) for every group.
  template <class F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < cap_; ++i) {
      const Entry& e = slots_[i];
      if (e.ad1 != 0 && e.count != 0) f(e.ad1 - 1, e.slot, e.count);
    }
  }

 private:
  size_t wrap(size_t i) const { return i >= cap_ ? i - cap_ : i; }
  // Where (ad, slot) starts probing: beside the ad's other slots. Slots reach 1024 (filters)
  // while a young table has a few dozen entries, so the sum may pass the capacity many times.
  size_t home(size_t base, uint32_t slot) const {
    const size_t i = base + slot;
    return i < cap_ ? i : i % cap_;
  }
  size_t next(size_t i) const { return i + 1 == cap_ ? 0 : i + 1; }
  size_t grown() const { return cap_ == 0 ? capacity_for(16) : 2 * cap_; }
  void add_at(size_t base, uint32_t ad, uint32_t slot, uint64_t n) {
    const uint32_t key = ad + 1;
    for (size_t i = home(base, slot);; i = next(i)) {
      Entry& e = slots_[i];
      if (e.ad1 == key && e.slot == slot) {
        e.count += n;
        return;
      }
      if (e.ad1 == 0) {
        e = Entry{key, slot, n};
        ++size_;
        return;
      }
    }
  }
  void rebuild(size_t cap) {
    TableStorage<Entry> old = std::move(slots_);
    const size_t old_cap = cap_;
    slots_ = TableStorage<Entry>(cap);
    cap_ = cap;
    size_ = 0;
    for (size_t j = 0; j < old_cap; ++j) {
      const Entry& e = old[j];
      if (e.ad1 == 0 || e.count == 0) continue;
      size_t i = home(base_of(e.ad1 - 1), e.slot);
      while (slots_[i].ad1 != 0) i = next(i);
      slots_[i] = e;
      ++size_;
    }
  }

  uint64_t seed_ = 0;
  TableStorage<Entry> slots_;
  size_t cap_ = 0;
  size_t size_ = 0;
};

class FingerprintSet {
 public:
  void prefetch(const Hash128& fp) const {
    if (cap_ != 0) __builtin_prefetch(slots_.data() + scaled(fp.lo, cap_), 1);
  }
  // True when `fp` was not present (and is now).
  bool insert(const Hash128& fp) {
    if (over_load(size_ + 1, cap_)) rehash(cap_ == 0 ? capacity_for(64) : 2 * cap_);
    for (size_t i = scaled(fp.lo, cap_);; i = i + 1 == cap_ ? 0 : i + 1) {
      Hash128& s = slots_[i];
      if (s == fp) return false;
      if (s.lo == 0 && s.hi == 0) {
        s = fp;
        ++size_;
        return true;
      }
    }
  }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  // Room for `n` keys without growing (a new window sized like the last one).
  void reserve(size_t n) {
    const size_t cap = capacity_for(n);
    if (cap > cap_) rehash(cap);
  }
  template <class F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < cap_; ++i) {
      const Hash128& s = slots_[i];
      if (s.lo != 0 || s.hi != 0) f(s);
    }
  }

 private:
  void rehash(size_t cap) {
    TableStorage<Hash128> old = std::move(slots_);
    const size_t old_cap = cap_;
    slots_ = TableStorage<Hash128>(cap);
    cap_ = cap;
    for (size_t j = 0; j < old_cap; ++j) {
      const Hash128& s = old[j];
      if (s.lo == 0 && s.hi == 0) continue;
      size_t i = scaled(s.lo, cap_);
      while (slots_[i].lo != 0 || slots_[i].hi != 0) i = i + 1 == cap_ ? 0 : i + 1;
      slots_[i] = s;
    }
  }
  TableStorage<Hash128> slots_;
  size_t cap_ = 0;
  size_t size_ = 0;
};

}  // namespace clickagg
