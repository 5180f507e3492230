#include "host/ops/topn_from_counts.h"

#include <algorithm>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "host/engine/topn_order.h"

namespace clickagg::ops {

namespace {

using AdCounts = std::vector<std::pair<std::string_view, uint64_t>>;

// Sliding sums over one filter's minutes: add a minute entering the window, remove the one
// leaving it; ads whose sum drops to zero leave the map.
class WindowSums {
 public:
  void add(const AdCounts* rows) {
    if (!rows) return;
    for (const auto& [ad, c] : *rows) sums_[ad] += c;
  }
  void remove(const AdCounts* rows) {
    if (!rows) return;
    for (const auto& [ad, c] : *rows) {
      auto it = sums_.find(ad);
      if ((it->second -= c) == 0) sums_.erase(it);
    }
  }
  std::vector<NamedEntry> top(uint32_t n) const {
    std::vector<NamedEntry> out;
    out.reserve(sums_.size());
    for (const auto& [ad, c] : sums_) out.push_back(NamedEntry{std::string(ad), c});
    keep_top(out, n);
    return out;
  }

 private:
  std::unordered_map<std::string_view, uint64_t> sums_;
};

}  // namespace

std::vector<TopNList> lists_from_counts(const MinuteRows& counts, const ListRequest& req) {
  std::map<std::tuple<int64_t, uint32_t, uint16_t>, TopNList> lists;
  if (req.first_minute >= req.end_minute) return {};
  for (uint16_t f : req.filter_ids) {
    // This filter's rows per minute.
    std::map<int64_t, AdCounts> rows;
    for (const auto& [minute, mrows] : counts)
      for (const NamedRow& r : mrows)
        if (r.filter_id == f && r.count != 0) rows[minute].emplace_back(r.ad_id, r.count);
    auto at = [&rows](int64_t m) -> const AdCounts* {
      auto it = rows.find(m);
      return it == rows.end() ? nullptr : &it->second;
    };
    for (uint32_t w : req.windows) {
      if (w == 0) continue;
      WindowSums sums;
      for (int64_t m = req.first_minute - w + 1; m < req.first_minute; ++m) sums.add(at(m));
      for (int64_t e = req.first_minute; e < req.end_minute; ++e) {
        sums.add(at(e));
        if (!req.want || req.want(e, w)) {
          TopNList& l = lists[{e, w, f}];
          l.minute = e;
          l.window = w;
          l.filter_id = f;
          set_entries(l, sums.top(req.top_n));
        }
        sums.remove(at(e - w + 1));
      }
    }
  }
  std::vector<TopNList> out;
  out.reserve(lists.size());
  for (auto& [key, l] : lists) out.push_back(std::move(l));
  return out;
}

}  // namespace clickagg::ops
