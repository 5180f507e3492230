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

// Byte d of a key's sort digits (radix_sort's numbering: 0 the least significant).
unsigned digit_of(const Key& k, int d) {
  if (d < 8) return static_cast<unsigned>(k.lo >> (8 * d)) & 0xFF;
  if (d < 16) return static_cast<unsigned>(k.hi >> (8 * (d - 8))) & 0xFF;
  return (k.filter >> (8 * (d - 16))) & 0xFF;
}

void sort_rows(std::vector<CountRow>& rows, const AdNames& names, ThreadPool* pool) {
  const size_t n = rows.size();
  std::vector<Key> keys(n), tmp(n);
  const unsigned parts = pool != nullptr && n >= (1u << 16) ? pool->size() : 1;
  std::vector<size_t> bounds(parts + 1);
  for (unsigned p = 0; p <= parts; ++p) bounds[p] = n * p / parts;
  if (parts == 1) {
    for (size_t i = 0; i < n; ++i) {
      const NameKey& k = names.key(rows[i].ad);
      keys[i] = Key{k.lo, k.hi, rows[i].filter_id, rows[i].ad, rows[i].count};
    }
    radix_sort(keys.data(), tmp.data(), n, names);
    for (size_t i = 0; i < n; ++i) rows[i] = CountRow{keys[i].ad, static_cast<uint16_t>(keys[i].filter), keys[i].count};
    return;
  }
  // In parallel: the keys are split by their two most significant bytes that vary into
  // `parts` ranges of whole buckets with about n / parts keys each, then each range is sorted
  // on its own thread. The ranges are in order, so nothing is merged after.
  constexpr size_t kBuckets = 1 << 16;
  std::vector<uint64_t> vary(3 * parts, 0);  // per part: lo, hi, filter bits that differ from keys[0]
  pool->run([&](unsigned p) {
    for (size_t i = bounds[p]; i < bounds[p + 1]; ++i) {
      const NameKey& k = names.key(rows[i].ad);
      keys[i] = Key{k.lo, k.hi, rows[i].filter_id, rows[i].ad, rows[i].count};
    }
    const NameKey& k0 = names.key(rows[0].ad);
    uint64_t vlo = 0, vhi = 0, vf = 0;
    for (size_t i = bounds[p]; i < bounds[p + 1]; ++i) {
      vlo |= keys[i].lo ^ k0.lo;
      vhi |= keys[i].hi ^ k0.hi;
      vf |= keys[i].filter ^ rows[0].filter_id;
    }
    vary[3 * p] = vlo, vary[3 * p + 1] = vhi, vary[3 * p + 2] = vf;
  });
  uint64_t vlo = 0, vhi = 0, vf = 0;
  for (unsigned p = 0; p < parts; ++p) vlo |= vary[3 * p], vhi |= vary[3 * p + 1], vf |= vary[3 * p + 2];
  int top = -1, second = -1;  // the two most significant bytes that vary (-1: none)
  for (int d = 17; d >= 0 && second < 0; --d) {
    const uint64_t v = d < 8 ? vlo >> (8 * d) : d < 16 ? vhi >> (8 * (d - 8)) : vf >> (8 * (d - 16));
    if ((v & 0xFF) == 0) continue;
    if (top < 0) top = d;
    else second = d;
  }
  if (top < 0) {  // one key throughout: its rows differ only by name, past the first 16 bytes
    radix_sort(keys.data(), tmp.data(), n, names);
  } else {
    auto bucket = [&](const Key& k) {
      return (digit_of(k, top) << 8) | (second < 0 ? 0u : digit_of(k, second));
    };
    // Per part and bucket: its keys, then (bucket-major, part-minor, so equal buckets keep the
    // parts' order) where they go.
    std::vector<size_t> count(static_cast<size_t>(parts) * kBuckets, 0);
    pool->run([&](unsigned p) {
      size_t* c = count.data() + static_cast<size_t>(p) * kBuckets;
      for (size_t i = bounds[p]; i < bounds[p + 1]; ++i) ++c[bucket(keys[i])];
    });
    std::vector<size_t> bucket_begin(kBuckets + 1, 0);
    size_t sum = 0;
    for (size_t b = 0; b < kBuckets; ++b) {
      bucket_begin[b] = sum;
      for (unsigned p = 0; p < parts; ++p) {
        size_t& c = count[static_cast<size_t>(p) * kBuckets + b];
        const size_t v = c;
        c = sum;
        sum += v;
      }
    }
    bucket_begin[kBuckets] = sum;
    pool->run([&](unsigned p) {
      size_t* at = count.data() + static_cast<size_t>(p) * kBuckets;
      for (size_t i = bounds[p]; i < bounds[p + 1]; ++i) tmp[at[bucket(keys[i])]++] = keys[i];
    });
    // Ranges of whole buckets, cut where the running total passes each n * r / parts.
    std::vector<size_t> cut(parts + 1, n);
    cut[0] = 0;
    for (unsigned r = 1, b = 0; r < parts; ++r) {
      while (b < kBuckets && bucket_begin[b + 1] <= n * r / parts) ++b;
      cut[r] = std::max(cut[r - 1], bucket_begin[b]);
    }
    // Sorted in tmp, keys as scratch; then back in keys for the rows.
    pool->run([&](unsigned r) {
      radix_sort(tmp.data() + cut[r], keys.data() + cut[r], cut[r + 1] - cut[r], names);
      std::copy(tmp.begin() + static_cast<std::ptrdiff_t>(cut[r]), tmp.begin() + static_cast<std::ptrdiff_t>(cut[r + 1]),
                keys.begin() + static_cast<std::ptrdiff_t>(cut[r]));
    });
  }
  pool->run([&](unsigned p) {
    for (size_t i = bounds[p]; i < bounds[p + 1]; ++i)
      rows[i] = CountRow{keys[i].ad, static_cast<uint16_t>(keys[i].filter), keys[i].count};
  });
}

}  // namespace clickagg
