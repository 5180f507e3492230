#include "host/store/popular_ads.h"

namespace clickagg::store {

PopularAds popular_ads_at(AggregateStore& store, int64_t e, uint32_t count, uint32_t window,
                          uint16_t filter_id) {
  PopularAds out{e, window, filter_id, {}, false};
  if (count == 0 || window == 0) return out;
  // A list answers when it holds at least `count` entries, or when it is complete: shorter
  // than the N it was cut at means every ad with clicks is in it.
  if (auto list = store.topn_list(e, window, filter_id)) {
    const bool complete = list->top_n > 0 && list->entries.size() < list->top_n;
    if (list->entries.size() >= count || complete) {
      if (list->entries.size() > count) list->entries.resize(count);
      out.entries = std::move(list->entries);
      out.from_list = true;
      return out;
    }
  }
  out.entries = store.top_by_sum(e - static_cast<int64_t>(window) + 1, e, filter_id, count);
  return out;
}

std::optional<PopularAds> popular_ads(AggregateStore& store, uint32_t count, uint32_t window,
                                      uint16_t filter_id) {
  const std::optional<int64_t> e = store.progress().last_closed_minute;
  if (!e) return std::nullopt;
  return popular_ads_at(store, *e, count, window, filter_id);
}

}  // namespace clickagg::store
