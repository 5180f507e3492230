#include "host/engine/sliding_sum.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace clickagg {

namespace {

using Entry = SlidingSum::Entry;

// Least significant digit first, one byte per pass, over the bytes any key uses: stable, so
// after the last pass equal keys are adjacent.
void radix_sort(SlidingSum::Run& v, SlidingSum::Run& tmp) {
  uint64_t all = 0;
  for (const Entry& e : v) all |= e.key;
  const int bytes = (std::bit_width(all) + 7) / 8;
  reserve_grown(tmp, v.size());
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
void combine(SlidingSum::Run& v) {
  size_t w = 0;
  for (size_t r = 0; r < v.size(); ++r) {
    if (w > 0 && v[w - 1].key == v[r].key) v[w - 1].count += v[r].count;
    else v[w++] = v[r];
  }
  v.resize(w);
}

}  // namespace

void SlidingSum::sorted_run(std::span<const GroupTable* const> tables, Run& out, Run& scratch) {
  out.clear();
  size_t n = 0;
  for (const GroupTable* t : tables) n += t->size();
  reserve_grown(out, n);
  for (const GroupTable* t : tables)
    t->for_each([&](uint32_t ad, uint32_t slot, uint64_t c) { out.push_back(Entry{group_key(ad, slot), c}); });
  radix_sort(out, scratch);
  if (tables.size() > 1) combine(out);
}

std::span<const Entry> SlidingSum::entering(std::span<const Entry> add) {
  if (late_.empty()) return add;
  radix_sort(late_, scratch_);
  combine(late_);
  run_.clear();
  reserve_grown(run_, add.size() + late_.size());
  size_t i = 0, j = 0;
  while (i < add.size() || j < late_.size()) {
    if (j == late_.size() || (i < add.size() && add[i].key < late_[j].key)) run_.push_back(add[i++]);
    else if (i == add.size() || late_[j].key < add[i].key) run_.push_back(late_[j++]);
    else {
      run_.push_back(Entry{add[i].key, add[i].count + late_[j].count});
      ++i, ++j;
    }
  }
  late_.clear();
  return run_;
}

void SlidingSum::not_held() {
  begin_ = n_ = 0;  // the merge may have overwritten part of the sum
  throw std::logic_error("sliding sum: a minute taken off that it does not hold");
}

bool SlidingSum::make_room(size_t entering) {
  if (begin_ >= entering) return false;
  if (buf_.size() - begin_ - n_ >= entering) return true;
  const size_t cap = buf_.size();
  TableStorage<Entry> grown(std::max(n_ + entering, cap + cap / 2));
  const size_t at = grown.size() - n_;
  if (n_ > 0) std::memcpy(grown.data() + at, buf_.data() + begin_, n_ * sizeof(Entry));
  buf_ = std::move(grown);
  begin_ = at;
  return false;
}

void SlidingSum::add_late(uint32_t ad, std::span<const uint16_t> slots) {
  late_.push_back(Entry{group_key(ad, 0), 1});
  for (uint16_t s : slots) late_.push_back(Entry{group_key(ad, s), 1});
}

void SlidingSum::fold() {
  if (!late_.empty()) move({}, {});
}

void SlidingSum::clear() {
  begin_ = n_ = 0;
  late_.clear();
}

}  // namespace clickagg
