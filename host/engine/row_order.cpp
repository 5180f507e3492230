#include "host/engine/row_order.h"

#include <algorithm>
#include <cstdint>

namespace clickagg {

// Sorting an index by (filter, first 16 name bytes as big-endian integers) settles most
// comparisons without touching the strings.
void sort_rows(std::vector<CountRow>& rows) {
  struct Key {
    uint64_t hi, lo;
    uint32_t filter, row;
  };
  auto be = [](const std::string& s, size_t off) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v = (v << 8) | (off + i < s.size() ? static_cast<unsigned char>(s[off + i]) : 0);
    return v;
  };
  std::vector<Key> keys(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    keys[i] = Key{be(rows[i].ad_id, 0), be(rows[i].ad_id, 8), rows[i].filter_id, static_cast<uint32_t>(i)};
  std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
    if (a.filter != b.filter) return a.filter < b.filter;
    if (a.hi != b.hi) return a.hi < b.hi;
    if (a.lo != b.lo) return a.lo < b.lo;
    return rows[a.row].ad_id < rows[b.row].ad_id;
  });
  std::vector<CountRow> sorted;
  sorted.reserve(rows.size());
  for (const Key& k : keys) sorted.push_back(std::move(rows[k.row]));
  rows = std::move(sorted);
}

}  // namespace clickagg
