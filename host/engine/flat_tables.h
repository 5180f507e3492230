// Open-addressing tables for the CPU engine's hot path: per-minute counts keyed by a dense ad
// index, and per-minute dedup fingerprint sets. Linear probing, power-of-two capacity, load
// kept under 1/2; no per-entry allocation.
#pragma once
#include <cstdint>
#include <vector>

#include "host/common/hash128.h"

namespace clickagg {

class CountTable {
 public:
  static constexpr uint32_t kEmpty = 0xFFFFFFFFu;
  struct Slot {
    uint32_t key = kEmpty;
    uint64_t count = 0;
  };

  void add(uint32_t key, uint64_t n) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = mix64(key) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.key == key) { s.count += n; return; }
      if (s.key == kEmpty) { s.key = key; s.count = n; ++size_; return; }
    }
  }
  uint64_t get(uint32_t key) const {
    if (slots_.empty()) return 0;
    const size_t mask = slots_.size() - 1;
    for (size_t i = mix64(key) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.key == key) return s.count;
      if (s.key == kEmpty) return 0;
    }
  }
  size_t size() const { return size_; }
  template <class F> void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.key != kEmpty) f(s.key, s.count);
  }

 private:
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    size_ = 0;
    for (const Slot& s : old)
      if (s.key != kEmpty) add(s.key, s.count);
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

class FingerprintSet {
 public:
  // True when `fp` was not present (and is now).
  bool insert(const Hash128& fp) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = fp.lo & mask;; i = (i + 1) & mask) {
      Hash128& s = slots_[i];
      if (s == fp) return false;
      if (s.lo == 0 && s.hi == 0) { s = fp; ++size_; return true; }
    }
  }
  size_t size() const { return size_; }
  // Room for `n` keys without growing (a new window sized like the last one).
  void reserve(size_t n) {
    size_t cap = 64;
    while (cap < 2 * n + 2) cap *= 2;
    if (cap <= slots_.size()) return;
    std::vector<Hash128> old = std::move(slots_);
    slots_.assign(cap, Hash128{});
    size_ = 0;
    for (const Hash128& s : old)
      if (s.lo != 0 || s.hi != 0) insert(s);
  }
  template <class F> void for_each(F&& f) const {
    for (const Hash128& s : slots_)
      if (s.lo != 0 || s.hi != 0) f(s);
  }

 private:
  void grow() {
    std::vector<Hash128> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Hash128{});
    size_ = 0;
    for (const Hash128& s : old)
      if (s.lo != 0 || s.hi != 0) insert(s);
  }
  std::vector<Hash128> slots_;
  size_t size_ = 0;
};

}  // namespace clickagg
