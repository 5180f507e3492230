// Open-addressing tables for the CPU engine's hot path: per-minute group counts keyed by
// (ad, slot) and per-minute dedup fingerprint sets. Linear probing over a power-of-two
// capacity, load kept at or under 1/2, no allocation per entry. Large tables sit on huge
// pages where the kernel offers them: the probes are random, and at 2 M ads a 4 KiB page
// per probe would also mean a TLB miss per probe.
//
// A group's position is the hash of its ad plus its slot, so the slots one event counts into
// (all clicks, then each matching filter) lie side by side: one cache line for most events.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "host/common/hash128.h"

namespace clickagg {

// Zero-initialised storage for n values of a trivially copyable T, 64-byte aligned; 2 MiB
// aligned and advised for transparent huge pages from 4 MiB up.
template <class T>
class TableStorage {
 public:
  TableStorage() = default;
  explicit TableStorage(size_t n) : n_(n) {
    if (n == 0) return;
    const size_t bytes = n * sizeof(T);
    const size_t align = bytes >= (size_t(4) << 20) ? (size_t(2) << 20) : 64;
    const size_t rounded = (bytes + align - 1) / align * align;
    p_ = static_cast<T*>(std::aligned_alloc(align, rounded));
    if (p_ == nullptr) throw std::bad_alloc();
    if (align > 64) advise_huge(p_, rounded);
    std::memset(static_cast<void*>(p_), 0, bytes);
  }
  ~TableStorage() { std::free(p_); }
  TableStorage(TableStorage&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  TableStorage& operator=(TableStorage&& o) noexcept {
    if (this != &o) {
      std::free(p_);
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
  static void advise_huge(void* p, size_t bytes);
  T* p_ = nullptr;
  size_t n_ = 0;
};
void advise_huge_pages(void* p, size_t bytes);
template <class T>
void TableStorage<T>::advise_huge(void* p, size_t bytes) {
  advise_huge_pages(p, bytes);
}

// Counts per (ad, slot) for one minute (or a running sum over several). Keys are stored as
// ad + 1 so that an all-zero slot is empty.
class GroupTable {
 public:
  struct Entry {
    uint32_t ad1;  // ad + 1; 0: empty
    uint32_t slot;
    uint64_t count;
  };

  GroupTable() = default;
  // Room for about `groups` entries before the first growth.
  explicit GroupTable(size_t groups) { if (groups > 0) rebuild(capacity_for(groups)); }

  static size_t base_of(uint32_t ad) { return static_cast<size_t>(mix64(ad)); }
  // Touches the line of (ad, 0) ahead of an add().
  void prefetch(uint32_t ad) const {
    if (cap_ != 0) __builtin_prefetch(slots_.data() + (base_of(ad) & (cap_ - 1)), 1);
  }

  void add(uint32_t ad, uint32_t slot, uint64_t n) {
    if ((size_ + 1) * 2 > cap_) rebuild(cap_ == 0 ? 16 : cap_ * 2);
    const size_t mask = cap_ - 1;
    const uint32_t key = ad + 1;
    for (size_t i = (base_of(ad) + slot) & mask;; i = (i + 1) & mask) {
      Entry& e = slots_[i];
      if (e.ad1 == key && e.slot == slot) {
        if (e.count == 0 && n != 0) --zeros_;
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
  // Takes n off an existing group (a running sum dropping a minute); a group that reaches 0
  // stays as a zero entry until the next compaction.
  void subtract(uint32_t ad, uint32_t slot, uint64_t n) {
    const size_t mask = cap_ - 1;
    const uint32_t key = ad + 1;
    for (size_t i = (base_of(ad) + slot) & mask;; i = (i + 1) & mask) {
      Entry& e = slots_[i];
      if (e.ad1 == key && e.slot == slot) {
        e.count -= n;
        if (e.count == 0) ++zeros_;
        return;
      }
    }
  }
  uint64_t get(uint32_t ad, uint32_t slot) const {
    if (cap_ == 0) return 0;
    const size_t mask = cap_ - 1;
    const uint32_t key = ad + 1;
    for (size_t i = (base_of(ad) + slot) & mask;; i = (i + 1) & mask) {
      const Entry& e = slots_[i];
      if (e.ad1 == key && e.slot == slot) return e.count;
      if (e.ad1 == 0) return 0;
    }
  }
  // Entries (zero ones included, until compacted).
  size_t size() const { return size_; }
  size_t live() const { return size_ - zeros_; }
  size_t capacity() const { return cap_; }
  // Drops zero entries once they are as many as the live ones.
  void compact_if_sparse() {
    if (zeros_ > 0 && zeros_ >= live()) rebuild(capacity_for(live()));
  }
  void clear() { *this = GroupTable(); }

  // f(ad, slot, count) for every non-zero group.
  template <class F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < cap_; ++i) {
      const Entry& e = slots_[i];
      if (e.ad1 != 0 && e.count != 0) f(e.ad1 - 1, e.slot, e.count);
    }
  }

 private:
  static size_t capacity_for(size_t n) {
    size_t cap = 16;
    while (cap < 2 * n + 2) cap *= 2;
    return cap;
  }
  void rebuild(size_t cap) {
    TableStorage<Entry> old = std::move(slots_);
    const size_t old_cap = cap_;
    slots_ = TableStorage<Entry>(cap);
    cap_ = cap;
    size_ = 0;
    zeros_ = 0;
    const size_t mask = cap_ - 1;
    for (size_t j = 0; j < old_cap; ++j) {
      const Entry& e = old[j];
      if (e.ad1 == 0 || e.count == 0) continue;
      size_t i = (base_of(e.ad1 - 1) + e.slot) & mask;
      while (slots_[i].ad1 != 0) i = (i + 1) & mask;
      slots_[i] = e;
      ++size_;
    }
  }

  TableStorage<Entry> slots_;
  size_t cap_ = 0;
  size_t size_ = 0;
  size_t zeros_ = 0;
};

class FingerprintSet {
 public:
  void prefetch(const Hash128& fp) const {
    if (cap_ != 0) __builtin_prefetch(slots_.data() + (fp.lo & (cap_ - 1)), 1);
  }
  // True when `fp` was not present (and is now).
  bool insert(const Hash128& fp) {
    if ((size_ + 1) * 2 > cap_) rehash(cap_ == 0 ? 64 : cap_ * 2);
    const size_t mask = cap_ - 1;
    for (size_t i = fp.lo & mask;; i = (i + 1) & mask) {
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
  // Room for `n` keys without growing (a new window sized like the last one).
  void reserve(size_t n) {
    size_t cap = 64;
    while (cap < 2 * n + 2) cap *= 2;
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
    const size_t mask = cap_ - 1;
    for (size_t j = 0; j < old_cap; ++j) {
      const Hash128& s = old[j];
      if (s.lo == 0 && s.hi == 0) continue;
      size_t i = s.lo & mask;
      while (slots_[i].lo != 0 || slots_[i].hi != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  TableStorage<Hash128> slots_;
  size_t cap_ = 0;
  size_t size_ = 0;
};

}  // namespace clickagg
