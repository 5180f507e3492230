#include "host/engine/row_order.h"

#include <algorithm>
#include <cstdint>

#include "host/engine/thread_pool.h"

namespace clickagg {

namespace {

struct Key {
  uint64_t hi, lo;
  uint32_t filter, ad;
  uint64_t count;
};

}  // namespace

void sort_rows(std::vector<CountRow>& rows, const AdNames& names, ThreadPool* pool) {
  const size_t n = rows.size();
  std::vector<Key> keys(n);
  auto before = [&](const Key& a, const Key& b) {
    if (a.filter != b.filter) return a.filter < b.filter;
    if (a.hi != b.hi) return a.hi < b.hi;
    if (a.lo != b.lo) return a.lo < b.lo;
    return names.name(a.ad) < names.name(b.ad);
  };
  const unsigned parts = pool != nullptr && n >= (1u << 16) ? pool->size() : 1;
  std::vector<size_t> bounds(parts + 1);
  for (unsigned p = 0; p <= parts; ++p) bounds[p] = n * p / parts;
  auto sort_part = [&](unsigned p) {
    for (size_t i = bounds[p]; i < bounds[p + 1]; ++i) {
      const NameKey& k = names.key(rows[i].ad);
      keys[i] = Key{k.hi, k.lo, rows[i].filter_id, rows[i].ad, rows[i].count};
    }
    std::sort(keys.begin() + static_cast<std::ptrdiff_t>(bounds[p]),
              keys.begin() + static_cast<std::ptrdiff_t>(bounds[p + 1]), before);
  };
  if (parts == 1) sort_part(0);
  else pool->run([&](unsigned p) { sort_part(p); });
  // Merge neighbouring sorted parts until one remains.
  for (size_t width = 1; width < parts; width *= 2)
    for (size_t p = 0; p + width < parts; p += 2 * width) {
      const auto first = keys.begin() + static_cast<std::ptrdiff_t>(bounds[p]);
      const auto mid = keys.begin() + static_cast<std::ptrdiff_t>(bounds[p + width]);
      const auto last = keys.begin() + static_cast<std::ptrdiff_t>(bounds[std::min<size_t>(p + 2 * width, parts)]);
      std::inplace_merge(first, mid, last, before);
    }
  for (size_t i = 0; i < n; ++i) rows[i] = CountRow{keys[i].ad, static_cast<uint16_t>(keys[i].filter), keys[i].count};
}

}  // namespace clickagg
