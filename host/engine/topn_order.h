// The ranking of top-N lists: larger count first, ties by ad_id in byte order ascending.
#pragma once
#include <algorithm>
#include <string_view>
#include <vector>

#include "host/engine/ad_names.h"
#include "host/engine/results.h"

namespace clickagg {

inline bool ranks_before(uint64_t count_a, std::string_view ad_a, uint64_t count_b, std::string_view ad_b) {
  if (count_a != count_b) return count_a > count_b;
  return ad_a < ad_b;  // std::string_view compares bytes as unsigned char
}

// The same ranking over indexes into a names table.
inline bool ranks_before(uint64_t count_a, uint32_t ad_a, uint64_t count_b, uint32_t ad_b, const AdNames& names) {
  if (count_a != count_b) return count_a > count_b;
  return names.less(ad_a, ad_b);
}

// Keeps the best `n` entries of `entries`, in rank order.
inline void keep_top(std::vector<TopNEntry>& entries, size_t n, const AdNames& names) {
  auto before = [&](const TopNEntry& a, const TopNEntry& b) {
    return ranks_before(a.count, a.ad, b.count, b.ad, names);
  };
  if (entries.size() > n) {
    std::nth_element(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(n), entries.end(), before);
    entries.resize(n);
  }
  std::sort(entries.begin(), entries.end(), before);
}
inline void keep_top(std::vector<NamedEntry>& entries, size_t n) {
  auto before = [](const NamedEntry& a, const NamedEntry& b) {
    return ranks_before(a.count, a.ad_id, b.count, b.ad_id);
  };
  if (entries.size() > n) {
    std::nth_element(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(n), entries.end(), before);
    entries.resize(n);
  }
  std::sort(entries.begin(), entries.end(), before);
}

}  // namespace clickagg
