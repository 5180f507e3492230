// The counts of a top-N window of several minutes, per (ad, slot), as one array sorted by
// group key. Moving the window is one sequential merge of the sum with the minutes that enter
// (added) and leave (taken off), each first turned into a sorted run: no random access into a
// table as large as the window's groups, and no rehashing as it grows. A group whose sum
// reaches 0 leaves the array.
//
// The merge runs in place, in one buffer with room for the sum and what enters: the sum sits
// at the buffer's back and is merged forwards into its front, or sits at the front and is
// merged backwards into its back, so the writes never overtake the reads. An hour's window
// holds millions of groups: one buffer instead of a second to merge into halves its memory
// and the fresh pages a growing window faults in.
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
  // The runs that enter and leave a sum reach tens of MB and grow while windows fill: like the
  // sum, on the engine's table memory (huge pages, recycled), and grown by half again when
  // short rather than by what one minute adds, so that a move does not map and fault in a
  // fresh block every minute.
  using Run = std::vector<Entry, HugePageAllocator<Entry>>;

  // The groups of `tables` (summed where several hold one) as a run sorted by key; `scratch`
  // is the sort's second buffer.
  static void sorted_run(std::span<const GroupTable* const> tables, Run& out, Run& scratch);

  // sum += add - take_off. Both are sorted runs; every group of take_off is in the sum with at
  // least its count (it holds the minutes taken off). Throws std::logic_error otherwise, and
  // the sum is then empty.
  void move(std::span<const Entry> add, std::span<const Entry> take_off) {
    move(add, take_off, [](uint32_t, uint32_t, uint64_t) {});
  }
  // The same, calling visit(ad, slot, count) for every group of the new sum as it is written:
  // in key order or in reverse key order (the merge's direction).
  template <class F>
  void move(std::span<const Entry> add, std::span<const Entry> take_off, F&& visit);
  // One event counted late into a minute the sum holds: +1 in slot 0 and in each of `slots`.
  void add_late(uint32_t ad, std::span<const uint16_t> slots);
  void clear();

  // f(ad, slot, count) for every group, in key order.
  template <class F>
  void for_each(F&& f) {
    fold();
    for (const Entry& e : sum()) f(static_cast<uint32_t>(e.key >> kSlotBits), static_cast<uint32_t>(e.key & kSlotMask), e.count);
  }
  size_t size() const { return n_; }

 private:
  static constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;
  void fold();
  // What enters: `add`, or add and the sorted late counts merged into run_ (late_ emptied).
  std::span<const Entry> entering(std::span<const Entry> add);
  std::span<const Entry> sum() const { return {buf_.data() + begin_, n_}; }
  // Room for `entering` more groups before the sum (false: merge forwards into the buffer's
  // front) or after it (true: merge backwards into its back). Grows the buffer by half again,
  // the sum copied to its back, when neither side has room.
  bool make_room(size_t entering);
  [[noreturn]] void not_held();

  TableStorage<Entry> buf_;
  size_t begin_ = 0, n_ = 0;  // the sum: buf_[begin_, begin_ + n_)
  Run late_;                  // unsorted +1s, folded in by fold()
  Run run_, scratch_;
};

template <class F>
void SlidingSum::move(std::span<const Entry> add, std::span<const Entry> take_off, F&& visit) {
  const std::span<const Entry> plus = entering(add);
  auto out = [&](uint64_t key, uint64_t count) {
    visit(static_cast<uint32_t>(key >> kSlotBits), static_cast<uint32_t>(key & kSlotMask), count);
  };
  if (plus.empty() && take_off.empty()) {
    for (const Entry& e : sum()) out(e.key, e.count);
    return;
  }
  const size_t m = plus.size(), t = take_off.size();
  const bool backwards = make_room(m);
  Entry* b = buf_.data();
  if (!backwards) {
    // The sum at [begin_, end) with begin_ >= m: the write index trails the read index.
    size_t i = begin_, j = 0, k = 0, w = 0;
    const size_t end = begin_ + n_;
    while (i < end || j < m) {
      uint64_t key;
      uint64_t c = 0;
      if (j == m || (i < end && b[i].key <= plus[j].key)) {
        key = b[i].key;
        c = b[i++].count;
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
        b[w++] = Entry{key, c};
        out(key, c);
      }
    }
    if (k != t) not_held();
    begin_ = 0;
    n_ = w;
  } else {
    // The sum at [begin_, begin_ + n_) with m free slots behind it: written from the buffer's
    // end down, the write index stays above the read index.
    size_t i = n_, j = m, k = t, w = buf_.size();
    while (i > 0 || j > 0) {
      uint64_t key;
      uint64_t c = 0;
      if (j == 0 || (i > 0 && b[begin_ + i - 1].key >= plus[j - 1].key)) {
        key = b[begin_ + i - 1].key;
        c = b[begin_ + --i].count;
        if (j > 0 && plus[j - 1].key == key) c += plus[--j].count;
      } else {
        key = plus[j - 1].key;
        c = plus[--j].count;
      }
      if (k > 0 && take_off[k - 1].key > key) not_held();
      if (k > 0 && take_off[k - 1].key == key) {
        if (take_off[k - 1].count > c) not_held();
        c -= take_off[--k].count;
      }
      if (c != 0) {
        b[--w] = Entry{key, c};
        out(key, c);
      }
    }
    if (k != 0) not_held();
    begin_ = w;
    n_ = buf_.size() - w;
  }
}

}  // namespace clickagg
