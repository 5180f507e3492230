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

std::string QueryApi::series(std::string_view ad_id, const Params& params) const {
  check_ad_id(ad_id);
  const uint16_t filter = filter_param(params, filter_ids_);
  std::optional<int64_t> from = minute_param(params, "from");
  std::optional<int64_t> to = minute_param(params, "to");
  auto store = stores_->acquire();
  if (!to) to = now_minute(*store);
  if (!from) from = *to - kDefaultSeriesMinutes;
  if (*from > *to) throw BadRequest("'from' is after 'to'");
  if (*to - *from > kMaxSeriesMinutes)
    throw BadRequest("the range from 'from' to 'to' is longer than " +
                     std::to_string(kMaxSeriesMinutes) + " minutes");
  Json minutes = Json::array();
  Json counts = Json::array();
  for (const auto& mc : store->minute_counts(ad_id, *from, *to, filter)) {
    minutes.push_back(minute_to_yyyymmddhhmm(mc.minute));
    counts.push_back(mc.count);
  }
  return dump({{"ad_id", ad_id},
               {"filter", filter},
               {"from", minute_to_yyyymmddhhmm(*from)},
               {"to", minute_to_yyyymmddhhmm(*to)},
               {"minutes", std::move(minutes)},
               {"counts", std::move(counts)}});
}

std::string QueryApi::status() const {
  auto store = stores_->acquire();
  const store::Progress p = store->progress();
  // Built member by member: a braced {{"id", ...}, {"name", ...}} pushed onto an ordered_json
  // array is taken for a key/value pair and lost.
  auto filter_json = [](uint16_t id, const std::string& name) {
    Json f = Json::object();
    f["id"] = id;
    f["name"] = name;
    return f;
  };
  Json filters = Json::array({filter_json(0, "all")});
  for (const store::FilterInfo& f : store->filters())
    if (f.id != 0) filters.push_back(filter_json(f.id, f.name));
  Json windows = Json::array();
  if (p.last_closed_minute)
    for (const uint32_t w : store->topn_windows(*p.last_closed_minute)) windows.push_back(w);
  Json reconcile = nullptr;
  if (const auto r = store->last_reconcile())
    reconcile = {{"checked_at_ms", r->checked_at_ms},
                 {"from", minute_to_yyyymmddhhmm(r->from_minute)},
                 {"to", minute_to_yyyymmddhhmm(r->to_minute)},
                 {"groups_checked", r->groups_checked},
                 {"mismatches", r->mismatches}};
  Json out;
  out["last_closed_minute"] =
      p.last_closed_minute ? Json(minute_to_yyyymmddhhmm(*p.last_closed_minute)) : Json(nullptr);
  out["consumer_lag"] = p.consumer_lag ? Json(*p.consumer_lag) : Json(nullptr);
  for (const CounterField& f : kCounterFields) out[f.name] = p.*f.member;
  out["filters"] = std::move(filters);
  out["topn_windows"] = std::move(windows);
  out["reconcile"] = std::move(reconcile);
  return dump(out);
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
  for (const NamedEntry& entry : top.entries) {
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
