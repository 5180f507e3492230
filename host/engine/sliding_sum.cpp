#include "host/engine/sliding_sum.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace clickagg {

namespace {

using Entry = SlidingSum::Entry;

// Least significant digit first, one byte per pass, over the bytes any key uses: stable, so
// after the last pass equal keys are adjacent.
void radix_sort(std::vector<Entry>& v, std::vector<Entry>& tmp) {
  uint64_t all = 0;
  for (const Entry& e : v) all |= e.key;
  const int bytes = (std::bit_width(all) + 7) / 8;
  tmp.resize(v.size());
  for (int b = 0; b < bytes; ++b) {
    const int shift = 8 * b;
    size_t count[257] = {};
    for (const Entry& e : v) ++count[((e.key >> shift) & 0xFF) + 1];
    for (int d = 0; d < 256; ++d) count[d + 1] += count[d];
    for (const Entry& e : v) tmp[count[(e.key >> shift) & 0xFF]++] = e;
    v.swap(tmp);
  }
}

// Adjacent equal keys of a sorted run summed into one.
void combine(std::vector<Entry>& v) {
  size_t w = 0;
  for (size_t r = 0; r < v.size(); ++r) {
    if (w > 0 && v[w - 1].key == v[r].key) v[w - 1].count += v[r].count;
    else v[w++] = v[r];
  }
  v.resize(w);
}

}  // namespace

void SlidingSum::sorted_run(std::span<const GroupTable* const> tables, std::vector<Entry>& out,
                            std::vector<Entry>& scratch) {
  out.clear();
  size_t n = 0;
  for (const GroupTable* t : tables) n += t->size();
  out.reserve(n);
  for (const GroupTable* t : tables)
    t->for_each([&](uint32_t ad, uint32_t slot, uint64_t c) { out.push_back(Entry{group_key(ad, slot), c}); });
  radix_sort(out, scratch);
  if (tables.size() > 1) combine(out);
}

void SlidingSum::move(std::span<const Entry> add, std::span<const Entry> take_off) {
  fold();
  if (add.empty() && take_off.empty()) return;
  next_.clear();
  next_.reserve(sum_.size() + add.size());
  size_t i = 0, j = 0, k = 0;
  const size_t n = sum_.size(), m = add.size(), t = take_off.size();
  while (i < n || j < m) {
    uint64_t key;
    uint64_t c = 0;
    if (j == m || (i < n && sum_[i].key <= add[j].key)) {
      key = sum_[i].key;
      c = sum_[i++].count;
      if (j < m && add[j].key == key) c += add[j++].count;
    } else {
      key = add[j].key;
      c = add[j++].count;
    }
    if (k < t && take_off[k].key < key) break;  // a group taken off that the sum lacks
    if (k < t && take_off[k].key == key) {
      if (take_off[k].count > c) throw std::logic_error("sliding sum: a minute taken off that it does not hold");
      c -= take_off[k++].count;
    }
    if (c != 0) next_.push_back(Entry{key, c});
  }
  if (k != t) throw std::logic_error("sliding sum: a minute taken off that it does not hold");
  sum_.swap(next_);
}

void SlidingSum::add_late(uint32_t ad, std::span<const uint16_t> slots) {
  late_.push_back(Entry{group_key(ad, 0), 1});
  for (uint16_t s : slots) late_.push_back(Entry{group_key(ad, s), 1});
}

void SlidingSum::fold() {
  if (late_.empty()) return;
  radix_sort(late_, scratch_);
  combine(late_);
  run_.swap(late_);
  late_.clear();
  move(run_, {});
}

void SlidingSum::clear() {
  sum_.clear();
  late_.clear();
}

}  // namespace clickagg
