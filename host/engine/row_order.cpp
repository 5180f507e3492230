#include "host/engine/row_order.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "host/engine/thread_pool.h"

namespace clickagg {

namespace {

struct Key {
  uint64_t lo, hi;  // the name's order key (AdNames::key): byte 0 of lo is the least significant
  uint32_t filter, ad;
  uint64_t count;
};

bool before(const Key& a, const Key& b, const AdNames& names) {
  if (a.filter != b.filter) return a.filter < b.filter;
  if (a.hi != b.hi) return a.hi < b.hi;
  if (a.lo != b.lo) return a.lo < b.lo;
  return names.name(a.ad) < names.name(b.ad);
}

// Least-significant-digit radix sort on (filter, hi, lo), a byte per pass, skipping every byte
// that all keys share (ad ids mostly differ in a few of their 16 leading bytes); then keys that
// are equal throughout, which only names with equal first 16 bytes have, are ordered by name.
void radix_sort(Key* keys, Key* tmp, size_t n, const AdNames& names) {
  constexpr int kDigits = 18;  // lo bytes 0..7, hi bytes 0..7, filter bytes 0..1
  auto digit = [](const Key& k, int d) -> unsigned {
    if (d < 8) return static_cast<unsigned>(k.lo >> (8 * d)) & 0xFF;
    if (d < 16) return static_cast<unsigned>(k.hi >> (8 * (d - 8))) & 0xFF;
    return (k.filter >> (8 * (d - 16))) & 0xFF;
  };
  if (n < 2) return;
  // The bytes in which any key differs from the first: only those need a pass.
  uint64_t vlo = 0, vhi = 0;
  uint32_t vfilter = 0;
  for (size_t i = 1; i < n; ++i) {
    vlo |= keys[i].lo ^ keys[0].lo;
    vhi |= keys[i].hi ^ keys[0].hi;
    vfilter |= keys[i].filter ^ keys[0].filter;
  }
  int active[kDigits];
  int na = 0;
  for (int d = 0; d < kDigits; ++d) {
    const uint64_t v = d < 8 ? vlo >> (8 * d) : d < 16 ? vhi >> (8 * (d - 8)) : vfilter >> (8 * (d - 16));
    if ((v & 0xFF) != 0) active[na++] = d;
  }
  std::vector<std::array<size_t, 256>> hist(static_cast<size_t>(na));
  for (auto& h : hist) h.fill(0);
  for (size_t i = 0; i < n; ++i)
    for (int a = 0; a < na; ++a) ++hist[static_cast<size_t>(a)][digit(keys[i], active[a])];
  Key* from = keys;
  Key* to = tmp;
  for (int a = 0; a < na; ++a) {
    const int d = active[a];
    auto& h = hist[static_cast<size_t>(a)];
    size_t sum = 0;
    for (size_t& c : h) {
      const size_t v = c;
      c = sum;
      sum += v;
    }
    for (size_t i = 0; i < n; ++i) to[h[digit(from[i], d)]++] = from[i];
    std::swap(from, to);
  }
  if (from != keys) std::copy(from, from + n, keys);
  for (size_t i = 0; i + 1 < n;) {
    size_t j = i + 1;
    while (j < n && keys[j].filter == keys[i].filter && keys[j].hi == keys[i].hi && keys[j].lo == keys[i].lo) ++j;
    if (j - i > 1) std::sort(keys + i, keys + j, [&](const Key& a, const Key& b) { return before(a, b, names); });
    i = j;
  }
}

}  // namespace

void sort_rows(std::vector<CountRow>& rows, const AdNames& names, ThreadPool* pool) {
  const size_t n = rows.size();
  std::vector<Key> keys(n), tmp(n);
  const unsigned parts = pool != nullptr && n >= (1u << 16) ? pool->size() : 1;
  std::vector<size_t> bounds(parts + 1);
  for (unsigned p = 0; p <= parts; ++p) bounds[p] = n * p / parts;
  auto sort_part = [&](unsigned p) {
    for (size_t i = bounds[p]; i < bounds[p + 1]; ++i) {
      const NameKey& k = names.key(rows[i].ad);
      keys[i] = Key{k.lo, k.hi, rows[i].filter_id, rows[i].ad, rows[i].count};
    }
    radix_sort(keys.data() + bounds[p], tmp.data() + bounds[p], bounds[p + 1] - bounds[p], names);
  };
  if (parts == 1) sort_part(0);
  else pool->run([&](unsigned p) { sort_part(p); });
  // Merge neighbouring sorted parts until one remains.
  auto cmp = [&](const Key& a, const Key& b) { return before(a, b, names); };
  for (size_t width = 1; width < parts; width *= 2)
    for (size_t p = 0; p + width < parts; p += 2 * width) {
      const auto first = keys.begin() + static_cast<std::ptrdiff_t>(bounds[p]);
      const auto mid = keys.begin() + static_cast<std::ptrdiff_t>(bounds[p + width]);
      const auto last = keys.begin() + static_cast<std::ptrdiff_t>(bounds[std::min<size_t>(p + 2 * width, parts)]);
      std::inplace_merge(first, mid, last, cmp);
    }
  for (size_t i = 0; i < n; ++i) rows[i] = CountRow{keys[i].ad, static_cast<uint16_t>(keys[i].filter), keys[i].count};
}

}  // namespace clickagg
