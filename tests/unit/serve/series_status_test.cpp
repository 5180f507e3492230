// The series and status endpoints and the store values on /metrics, over a store filled here
// with a few hand-placed counts, lists, progress values and a reconciliation.
#include <httplib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "host/common/time_util.h"
#include "host/serve/http_server.h"
#include "host/serve/store_probe.h"
#include "host/store/aggregate_store.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::serve {
namespace {

using nlohmann::json;
using clickagg::testing::TempDir;

const int64_t kBase = *parse_minute("202101010000");

// Counts (filter 0 unless said):
//   00:01  ad001 3, ad001 (filter 12) 2, ad002 5
//   00:07  ad001 1
//   03:20  ad001 4
//   03:59  ad002 1        <- the last closed minute, so "now" is 04:00
// Top-N lists at 03:59: windows 60, 1, 5 (filter 0) and 1 (filter 12); at 00:07 window 15.
void fill(store::AggregateStore& s) {
  store::ResultBatch b;
  b.top_n = 100;
  b.windows.push_back(make_window(kBase + 1, {{"ad001", 0, 3}, {"ad001", 12, 2}, {"ad002", 0, 5}}, false));
  b.windows.push_back(make_window(kBase + 7, {{"ad001", 0, 1}}, false));
  b.windows.push_back(make_window(kBase + 200, {{"ad001", 0, 4}}, false));
  b.windows.push_back(make_window(kBase + 239, {{"ad002", 0, 1}}, false));
  for (const uint32_t window : {60u, 1u, 5u})
    b.topn.push_back(make_list(kBase + 239, window, 0, false, {{"ad002", 1}}));
  b.topn.push_back(make_list(kBase + 239, 1, 12, false, {}));
  b.topn.push_back(make_list(kBase + 7, 15, 0, false, {{"ad001", 4}}));
  store::Progress p;
  p.events = 20;
  p.counted = 14;
  p.late_counted = 2;
  p.duplicates = 3;
  p.dropped_late = 1;
  p.rejected = 2;
  p.windows_closed = 4;
  p.corrections = 1;
  p.consumer_lag = 123;
  b.progress = p;
  s.write(b);
  s.set_filters({{14, "eu"}, {12, "us"}});
  s.record_reconcile({1609474500500, kBase, kBase + 240, 7, 1});
}

class ServerFixture {
 public:
  explicit ServerFixture(const std::string& db) {
    auto pool = std::make_shared<store::StorePool>(
        [db] { return store::open_store(db, store::OpenMode::Reader); });
    ServerOptions opts;
    opts.port = 0;
    opts.filter_ids = {12, 14};
    opts.wall_clock_ms = [] { return (kBase + 1000) * kMsPerMinute; };
    opts.metrics = std::make_shared<metrics::MetricsRegistry>();
    register_store_metrics(*opts.metrics, pool);
    server = std::make_unique<HttpServer>(opts, pool);
    client = std::make_unique<httplib::Client>("127.0.0.1", server->start());
  }

  std::pair<int, json> get(const std::string& path) {
    auto res = client->Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return {0, json()};
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return {res->status, json::parse(res->body, nullptr, /*allow_exceptions=*/false)};
  }

  std::string metrics() {
    auto res = client->Get("/metrics");
    EXPECT_TRUE(res);
    return res ? res->body : "";
  }

  std::unique_ptr<HttpServer> server;
  std::unique_ptr<httplib::Client> client;
};

class SeriesStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fill(*store::open_store(db, store::OpenMode::Writer));
    srv = std::make_unique<ServerFixture>(db);
  }

  void expect_bad(const std::string& path, const std::string& fragment) {
    auto [status, body] = srv->get(path);
    EXPECT_EQ(status, 400) << path;
    ASSERT_TRUE(body.is_object() && body.contains("error")) << path;
    EXPECT_NE(body["error"].get<std::string>().find(fragment), std::string::npos)
        << path << " -> " << body["error"];
  }

  TempDir dir;
  std::string db = dir.file("agg.db");
  std::unique_ptr<ServerFixture> srv;
};

TEST_F(SeriesStatusTest, SeriesListsTheNonZeroMinutesOfTheRangeAscending) {
  auto [status, body] = srv->get("/v1/ads/ad001/series?from=202101010000&to=202101010300");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, json::parse(R"({"ad_id":"ad001","filter":0,"from":202101010000,"to":202101010300,
                                  "minutes":[202101010001,202101010007],"counts":[3,1]})"));
  // The range is [from, to): 00:07 is out when `to` is 00:07, in when `from` is.
  EXPECT_EQ(srv->get("/v1/ads/ad001/series?from=202101010000&to=202101010007").second["minutes"],
            json::parse("[202101010001]"));
  EXPECT_EQ(srv->get("/v1/ads/ad001/series?from=202101010007&to=202101010008").second["counts"],
            json::parse("[1]"));
  auto [s12, f12] = srv->get("/v1/ads/ad001/series?from=202101010000&to=202101010400&filter=12");
  EXPECT_EQ(s12, 200);
  EXPECT_EQ(f12["filter"], 12);
  EXPECT_EQ(f12["minutes"], json::parse("[202101010001]"));
  EXPECT_EQ(f12["counts"], json::parse("[2]"));
  // A configured filter without counts, an unknown ad, an empty range: empty lists.
  for (const char* path : {"/v1/ads/ad001/series?from=202101010000&to=202101010400&filter=14",
                           "/v1/ads/nobody/series?from=202101010000&to=202101010400",
                           "/v1/ads/ad001/series?from=202101010001&to=202101010001"}) {
    auto [st, empty] = srv->get(path);
    EXPECT_EQ(st, 200) << path;
    EXPECT_EQ(empty["minutes"], json::array()) << path;
    EXPECT_EQ(empty["counts"], json::array()) << path;
  }
}

TEST_F(SeriesStatusTest, SeriesDefaultsToTheLast180MinutesBeforeNow) {
  // Now = last closed 03:59 + 1 = 04:00; from = 01:00: only 03:20 is inside.
  auto [status, body] = srv->get("/v1/ads/ad001/series");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, json::parse(R"({"ad_id":"ad001","filter":0,"from":202101010100,"to":202101010400,
                                  "minutes":[202101010320],"counts":[4]})"));
  // Only `to`: the 180 minutes before it, across midnight.
  auto [st, to_only] = srv->get("/v1/ads/ad001/series?to=202101010010");
  EXPECT_EQ(st, 200);
  EXPECT_EQ(to_only["from"], 202012312110);
  EXPECT_EQ(to_only["minutes"], json::parse("[202101010001,202101010007]"));
  // Only `from`: up to now.
  auto [sf, from_only] = srv->get("/v1/ads/ad002/series?from=202101010000");
  EXPECT_EQ(sf, 200);
  EXPECT_EQ(from_only["to"], 202101010400);
  EXPECT_EQ(from_only["minutes"], json::parse("[202101010001,202101010359]"));
  EXPECT_EQ(from_only["counts"], json::parse("[5,1]"));
}

TEST_F(SeriesStatusTest, SeriesRangeIsAtMostOneDay) {
  auto [status, day] = srv->get("/v1/ads/ad001/series?from=202101010000&to=202101020000");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(day["minutes"], json::parse("[202101010001,202101010007,202101010320]"));
  EXPECT_EQ(day["counts"], json::parse("[3,1,4]"));
  expect_bad("/v1/ads/ad001/series?from=202101010000&to=202101020001", "longer than 1440");
  expect_bad("/v1/ads/ad001/series?from=202001010000", "longer than 1440");  // to = now
}

TEST_F(SeriesStatusTest, SeriesBadParametersAre400) {
  const std::string s = "/v1/ads/ad001/series";
  expect_bad(s + "?from=202101010005&to=202101010000", "after");
  expect_bad(s + "?from=2021010100", "from");
  expect_bad(s + "?to=202102300000", "to");  // 30 February
  expect_bad(s + "?to=x", "to");
  expect_bad(s + "?filter=7", "unknown filter");
  expect_bad(s + "?filter=-1", "filter");
  expect_bad(s + "?to=202101010000&to=202101010001", "more than once");
  expect_bad("/v1/ads/" + std::string(65, 'a') + "/series", "ad_id");
  expect_bad("/v1/ads/a%2Cb/series", "ad_id");
  EXPECT_EQ(srv->get("/v1/ads//series").first, 404);
  EXPECT_EQ(srv->get("/v1/ads/a/b/series").first, 404);
}

TEST_F(SeriesStatusTest, StatusReportsProgressFiltersWindowsAndReconciliation) {
  auto [status, body] = srv->get("/v1/status");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, json::parse(R"({"last_closed_minute":202101010359,"consumer_lag":123,
      "events":20,"counted":14,"late_counted":2,"duplicates":3,"dropped_late":1,"rejected":2,
      "windows_closed":4,"corrections":1,
      "filters":[{"id":0,"name":"all"},{"id":12,"name":"us"},{"id":14,"name":"eu"}],
      "topn_windows":[1,5,60],
      "reconcile":{"checked_at_ms":1609474500500,"from":202101010000,"to":202101010400,
                   "groups_checked":7,"mismatches":1}})"));
  // Keys in the documented order.
  auto res = srv->client->Get("/v1/status");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body.rfind(R"({"last_closed_minute":202101010359,"consumer_lag":123,"events":20,)", 0), 0u)
      << res->body;
}

TEST_F(SeriesStatusTest, StatusFollowsNewWrites) {
  {
    auto w = store::open_store(db, store::OpenMode::Writer);
    store::ResultBatch b;
    b.windows.push_back(make_window(kBase + 240, {{"ad003", 0, 9}}, false));
    b.topn.push_back(make_list(kBase + 240, 5, 0, false, {{"ad003", 9}}));
    w->write(b);
  }
  auto [status, body] = srv->get("/v1/status");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["last_closed_minute"], 202101010400);
  EXPECT_EQ(body["topn_windows"], json::parse("[5]"));
}

TEST_F(SeriesStatusTest, MetricsCarryTheReconciliationAndTheConsumerLag) {
  const std::string text = srv->metrics();
  for (const char* line : {"clickagg_reconcile_mismatches 1\n", "clickagg_reconcile_groups_checked 7\n",
                           "clickagg_reconcile_checked_at_seconds 1609474500.5\n",
                           "clickagg_store_consumer_lag 123\n",
                           "# TYPE clickagg_reconcile_mismatches gauge\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  srv->get("/v1/status");
  srv->get("/v1/ads/x/series");
  srv->get("/v1/ads/x/series?filter=9");
  srv->client->Get("/openapi.json");
  // A request is counted once its answer is sent, which a client on another connection may
  // see first: poll briefly.
  const std::vector<std::string> lines = {
      R"(clickagg_http_requests_total{route="/v1/status",status="200"} 1)",
      R"(clickagg_http_requests_total{route="/v1/ads/{ad_id}/series",status="200"} 1)",
      R"(clickagg_http_requests_total{route="/v1/ads/{ad_id}/series",status="400"} 1)",
      R"(clickagg_http_requests_total{route="/openapi.json",status="200"} 1)"};
  std::string after;
  for (int attempt = 0; attempt < 100; ++attempt) {
    after = srv->metrics();
    if (std::all_of(lines.begin(), lines.end(), [&](const std::string& l) { return after.find(l) != std::string::npos; }))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const std::string& line : lines)
    EXPECT_NE(after.find(line), std::string::npos) << line << " in\n" << after;
}

TEST_F(SeriesStatusTest, OpenApiDocumentIsServedAsJson) {
  auto [status, doc] = srv->get("/openapi.json");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  for (const char* path : {"/v1/ads/{ad_id}/aggregated_count", "/v1/ads/popular_ads",
                           "/v1/ads/{ad_id}/series", "/v1/status", "/healthz", "/metrics",
                           "/openapi.json", "/"})
    EXPECT_TRUE(doc["paths"].contains(path)) << path;
}

TEST(SeriesStatusEmptyStoreTest, NothingRecordedReadsAsNullAndZero) {
  TempDir dir;
  const std::string db = dir.file("empty.db");
  store::open_store(db, store::OpenMode::Writer).reset();
  ServerFixture srv(db);
  auto [status, body] = srv.get("/v1/status");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, json::parse(R"({"last_closed_minute":null,"consumer_lag":null,
      "events":0,"counted":0,"late_counted":0,"duplicates":0,"dropped_late":0,"rejected":0,
      "windows_closed":0,"corrections":0,"filters":[{"id":0,"name":"all"}],
      "topn_windows":[],"reconcile":null})"));
  // Now falls back to the wall clock: kBase + 1000 min = 2021-01-01 16:40.
  auto [st, series] = srv.get("/v1/ads/ad001/series");
  EXPECT_EQ(st, 200);
  EXPECT_EQ(series, json::parse(R"({"ad_id":"ad001","filter":0,"from":202101011340,
      "to":202101011640,"minutes":[],"counts":[]})"));
  const std::string text = srv.metrics();
  for (const char* line : {"clickagg_reconcile_mismatches NaN\n", "clickagg_store_consumer_lag NaN\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
}

}  // namespace
}  // namespace clickagg::serve
