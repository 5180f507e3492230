// The query endpoints of the API, independent of the HTTP library: parameters in, JSON
// out. Throws BadRequest for bad parameters and StoreError when the database fails.
//
// "Now" is the latest closed minute + 1 as recorded in the store, so the default range of
// aggregated_count ([now - 1, now)) is the last minute whose counts are final. Only while
// the store holds no closed minute yet does "now" fall back to the wall-clock minute.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "host/serve/query_params.h"
#include "host/store/store_pool.h"

namespace clickagg::serve {

class QueryApi {
 public:
  // `filter_ids`: the configured filters (0 is always accepted); `wall_clock_ms` is only the
  // fallback for an empty store.
  QueryApi(std::shared_ptr<store::StorePool> stores, std::set<uint16_t> filter_ids,
           std::function<int64_t()> wall_clock_ms);

  // GET /v1/ads/{ad_id}/aggregated_count?from=&to=&filter=
  // from/to default to [to - 1 min, now); from > to is a BadRequest.
  std::string aggregated_count(std::string_view ad_id, const Params& params) const;
  // GET /v1/ads/popular_ads?count=&window=&filter=
  std::string popular_ads(const Params& params) const;
  // GET /v1/ads/{ad_id}/series?from=&to=&filter=: the non-zero per-minute counts over
  // [from, to), ascending; defaults [to - 180 min, now); at most kMaxSeriesMinutes long.
  std::string series(std::string_view ad_id, const Params& params) const;
  // GET /v1/status: progress counters, consumer lag, filters, the top-N windows stored for
  // the last closed minute and the last reconciliation.
  std::string status() const;

  static constexpr int64_t kMaxCount = 1000;
  static constexpr int64_t kMaxWindow = 1440;
  static constexpr int64_t kDefaultSeriesMinutes = 180;
  static constexpr int64_t kMaxSeriesMinutes = 1440;

 private:
  int64_t now_minute(store::AggregateStore& store) const;

  std::shared_ptr<store::StorePool> stores_;
  std::set<uint16_t> filter_ids_;
  std::function<int64_t()> wall_clock_ms_;
};

}  // namespace clickagg::serve
