#include "host/serve/query_api.h"

#include <nlohmann/json.hpp>

#include "host/common/time_util.h"
#include "host/store/popular_ads.h"

namespace clickagg::serve {

namespace {
// Keys stay in the documented order.
using Json = nlohmann::ordered_json;
// Ad ids are bytes; invalid UTF-8 is replaced rather than failing the whole response.
std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}
}  // namespace

QueryApi::QueryApi(std::shared_ptr<store::StorePool> stores, std::set<uint16_t> filter_ids,
                   std::function<int64_t()> wall_clock_ms)
    : stores_(std::move(stores)),
      filter_ids_(std::move(filter_ids)),
      wall_clock_ms_(std::move(wall_clock_ms)) {}

int64_t QueryApi::now_minute(store::AggregateStore& store) const {
  if (const auto closed = store.progress().last_closed_minute) return *closed + 1;
  return minute_of(wall_clock_ms_());
}

std::string QueryApi::aggregated_count(std::string_view ad_id, const Params& params) const {
  check_ad_id(ad_id);
  const uint16_t filter = filter_param(params, filter_ids_);
  std::optional<int64_t> from = minute_param(params, "from");
  std::optional<int64_t> to = minute_param(params, "to");
  auto store = stores_->acquire();
  if (!to) to = now_minute(*store);
  if (!from) from = *to - 1;
  if (*from > *to) throw BadRequest("'from' is after 'to'");
  const uint64_t count = store->aggregated_count(ad_id, *from, *to, filter);
  return dump({{"ad_id", ad_id},
               {"count", count},
               {"from", minute_to_yyyymmddhhmm(*from)},
               {"to", minute_to_yyyymmddhhmm(*to)},
               {"filter", filter}});
}

std::string QueryApi::popular_ads(const Params& params) const {
  const auto count = static_cast<uint32_t>(int_param(params, "count", 100, 1, kMaxCount));
  const auto window = static_cast<uint32_t>(int_param(params, "window", 1, 1, kMaxWindow));
  const uint16_t filter = filter_param(params, filter_ids_);
  auto store = stores_->acquire();
  const int64_t e = now_minute(*store) - 1;  // the latest closed minute
  const store::PopularAds top = store::popular_ads_at(*store, e, count, window, filter);
  Json ids = Json::array();
  Json counts = Json::array();
  for (const TopNEntry& entry : top.entries) {
    ids.push_back(entry.ad_id);
    counts.push_back(entry.count);
  }
  return dump({{"ad_ids", std::move(ids)},
               {"counts", std::move(counts)},
               {"window", window},
               {"minute", minute_to_yyyymmddhhmm(e)},
               {"filter", filter}});
}

}  // namespace clickagg::serve
