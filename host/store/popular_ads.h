// The most clicked ads over the last closed minutes: answered from the stored top-N list of
// the latest closed minute when that list can answer, else computed from the counts. Both
// paths give the same ranking (sum descending, ad_id byte order ascending).
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "host/store/aggregate_store.h"

namespace clickagg::store {

struct PopularAds {
  int64_t minute = 0;  // the last minute of the window, e
  uint32_t window = 1;
  uint16_t filter_id = 0;
  std::vector<NamedEntry> entries;
  bool from_list = false;  // served from a stored top-N list (else from counts)
};

// Top `count` ads over minutes [e - window + 1, e] where e is the latest closed minute;
// nullopt while no minute has closed.
std::optional<PopularAds> popular_ads(AggregateStore& store, uint32_t count, uint32_t window,
                                      uint16_t filter_id);
// The same for a given last minute `e`.
PopularAds popular_ads_at(AggregateStore& store, int64_t e, uint32_t count, uint32_t window,
                          uint16_t filter_id);

}  // namespace clickagg::store
