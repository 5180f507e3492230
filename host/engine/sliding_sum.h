// The counts of a top-N window of several minutes, per (ad, slot), as one array sorted by
// group key. Moving the window is one sequential merge of the sum with the minutes that enter
// (added) and leave (taken off), each first turned into a sorted run: no random access into a
// table as large as the window's groups, no rehashing as it grows, and two buffers that are
// reused from minute to minute. A group whose sum reaches 0 leaves the array.
//
// Late events counted into a minute the sum already holds are collected apart and folded in
// (sorted, then merged with what enters) when the sum is next read or moved. A move can hand
// every group of the new sum to a visitor as the merge writes it, so a top-N selection costs
// no pass of its own over a sum as large as the window's groups.
//
//   SlidingSum sum;
//   SlidingSum::sorted_run({&minute_table}, run, scratch);
//   sum.move(run, {});                          // the minute enters
//   sum.for_each([](uint32_t ad, uint32_t slot, uint64_t count) { ... });
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "host/engine/flat_tables.h"

namespace clickagg {

class SlidingSum {
 public:
  struct Entry {
    uint64_t key;  // group_key(ad, slot)
    uint64_t count;
  };
  // Slots are at most 1024 (filters + 1), so 11 bits; ads are shard-local indexes.
  static constexpr int kSlotBits = 11;
  static uint64_t group_key(uint32_t ad, uint32_t slot) { return (uint64_t{ad} << kSlotBits) | slot; }
  // A sum and its runs reach tens of MB and grow while the window fills: on the engine's table
  // memory (huge pages, recycled) and grown by half again when short, not by what one minute
  // adds, so that a move does not map and fault in a fresh block every minute.
  using Run = std::vector<Entry, HugePageAllocator<Entry>>;

  // The groups of `tables` (summed where several hold one) as a run sorted by key; `scratch`
  // is the sort's second buffer.
  static void sorted_run(std::span<const GroupTable* const> tables, Run& out, Run& scratch);

  // sum += add - take_off. Both are sorted runs; every group of take_off is in the sum with at
  // least its count (it holds the minutes taken off). Throws std::logic_error otherwise.
  void move(std::span<const Entry> add, std::span<const Entry> take_off) {
    move(add, take_off, [](uint32_t, uint32_t, uint64_t) {});
  }
  // The same, then visit(ad, slot, count) for every group of the new sum, in key order.
  template <class F>
  void move(std::span<const Entry> add, std::span<const Entry> take_off, F&& visit);
  // One event counted late into a minute the sum holds: +1 in slot 0 and in each of `slots`.
  void add_late(uint32_t ad, std::span<const uint16_t> slots);
  void clear();

  // f(ad, slot, count) for every group, in key order.
  template <class F>
  void for_each(F&& f) {
    fold();
    for (const Entry& e : sum_) f(static_cast<uint32_t>(e.key >> kSlotBits), static_cast<uint32_t>(e.key & kSlotMask), e.count);
  }
  size_t size() const { return sum_.size(); }

 private:
  static constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;
  void fold();
  // What enters: `add`, or add and the sorted late counts merged into run_ (late_ emptied).
  std::span<const Entry> entering(std::span<const Entry> add);
  [[noreturn]] static void not_held();

  Run sum_, next_;
  Run late_;  // unsorted +1s, folded in by fold()
  Run run_, scratch_;
};

template <class F>
void SlidingSum::move(std::span<const Entry> add, std::span<const Entry> take_off, F&& visit) {
  const std::span<const Entry> plus = entering(add);
  auto out = [&](uint64_t key, uint64_t count) {
    visit(static_cast<uint32_t>(key >> kSlotBits), static_cast<uint32_t>(key & kSlotMask), count);
  };
  if (plus.empty() && take_off.empty()) {
    for (const Entry& e : sum_) out(e.key, e.count);
    return;
  }
  next_.clear();
  reserve_grown(next_, sum_.size() + plus.size());
  size_t i = 0, j = 0, k = 0;
  const size_t n = sum_.size(), m = plus.size(), t = take_off.size();
  while (i < n || j < m) {
    uint64_t key;
    uint64_t c = 0;
    if (j == m || (i < n && sum_[i].key <= plus[j].key)) {
      key = sum_[i].key;
      c = sum_[i++].count;
      if (j < m && plus[j].key == key) c += plus[j++].count;
    } else {
      key = plus[j].key;
      c = plus[j++].count;
    }
    if (k < t && take_off[k].key < key) not_held();  // a group taken off that the sum lacks
    if (k < t && take_off[k].key == key) {
      if (take_off[k].count > c) not_held();
      c -= take_off[k++].count;
    }
    if (c != 0) {
      next_.push_back(Entry{key, c});
      out(key, c);
    }
  }
  if (k != t) not_held();
  sum_.swap(next_);
}

}  // namespace clickagg
