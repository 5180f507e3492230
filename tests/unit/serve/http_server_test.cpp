#include "host/serve/http_server.h"

#include <httplib.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/common/time_util.h"
#include "host/store/aggregate_store.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::serve {
namespace {

using nlohmann::json;
using clickagg::testing::TempDir;

const int64_t kBase = *parse_minute("202101010000");

// Five closed minutes 00:00..00:04 of clicks on ad001..ad003, filter 12 on some of them,
// and a top-N list for the last minute.
void fill(store::AggregateStore& s) {
  store::ResultBatch b;
  b.top_n = 100;
  for (int64_t i = 0; i < 5; ++i)
    b.windows.push_back(make_window(kBase + i, {{"ad001", 0, static_cast<uint64_t>(i + 1)},
                                      {"ad002", 0, 10},
                                      {"ad003", 0, 1},
                                      {"ad001", 12, 1}}, false));
  b.topn.push_back(make_list(kBase + 4, 1, 0, false, {{"ad002", 10}, {"ad001", 5}, {"ad003", 1}}));
  store::Progress p;
  p.events = 99;
  b.progress = p;
  s.write(b);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writer = store::open_store(db, store::OpenMode::Writer);
    fill(*writer);
    start_server();
  }

  void start_server() {
    auto pool = std::make_shared<store::StorePool>(
        [path = db] { return store::open_store(path, store::OpenMode::Reader); });
    ServerOptions opts;
    opts.port = 0;
    opts.filter_ids = {12, 14};
    opts.wall_clock_ms = [] { return (kBase + 100) * kMsPerMinute + 1234; };
    server = std::make_unique<HttpServer>(opts, pool);
    port = server->start();
    ASSERT_NE(port, 0);
    client = std::make_unique<httplib::Client>("127.0.0.1", port);
  }

  // GET returning (status, parsed JSON body).
  std::pair<int, json> get(const std::string& path) {
    auto res = client->Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return {0, json()};
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return {res->status, json::parse(res->body, nullptr, /*allow_exceptions=*/false)};
  }

  void expect_bad(const std::string& path, const std::string& fragment) {
    auto [status, body] = get(path);
    EXPECT_EQ(status, 400) << path;
    ASSERT_TRUE(body.is_object()) << path;
    ASSERT_TRUE(body.contains("error")) << path;
    EXPECT_NE(body["error"].get<std::string>().find(fragment), std::string::npos)
        << path << " -> " << body["error"];
  }

  TempDir dir;
  std::string db = dir.file("agg.db");
  std::unique_ptr<store::AggregateStore> writer;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<httplib::Client> client;
  uint16_t port = 0;
};

TEST_F(HttpServerTest, AggregatedCountDefaultsToTheLastClosedMinute) {
  auto [status, body] = get("/v1/ads/ad001/aggregated_count");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, json::parse(R"({"ad_id":"ad001","count":5,"from":202101010004,
                                  "to":202101010005,"filter":0})"));
}

TEST_F(HttpServerTest, AggregatedCountWithExplicitRange) {
  auto [status, body] =
      get("/v1/ads/ad001/aggregated_count?from=202101010000&to=202101010003&filter=0");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["count"], 1 + 2 + 3);
  EXPECT_EQ(body["from"], 202101010000);
  EXPECT_EQ(body["to"], 202101010003);
  EXPECT_EQ(get("/v1/ads/ad001/aggregated_count?from=202101010000&to=202101010100&filter=12")
                .second["count"],
            5);
  // Only `to`: one minute ending there.
  EXPECT_EQ(get("/v1/ads/ad001/aggregated_count?to=202101010002").second["count"], 2);
  // Empty range and unknown ad.
  EXPECT_EQ(get("/v1/ads/ad001/aggregated_count?from=202101010002&to=202101010002").second["count"], 0);
  EXPECT_EQ(get("/v1/ads/nobody/aggregated_count?from=202101010000&to=202101010005").second["count"], 0);
  // A percent-encoded id is decoded.
  auto [st, enc] = get("/v1/ads/ad%30%301/aggregated_count?from=202101010000&to=202101010005");
  EXPECT_EQ(st, 200);
  EXPECT_EQ(enc["ad_id"], "ad001");
  EXPECT_EQ(enc["count"], 15);
}

TEST_F(HttpServerTest, PopularAdsDefaultsAndParams) {
  auto [status, body] = get("/v1/ads/popular_ads");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, json::parse(R"({"ad_ids":["ad002","ad001","ad003"],"counts":[10,5,1],
                                  "window":1,"minute":202101010004,"filter":0})"));
  auto [s2, two] = get("/v1/ads/popular_ads?count=2&window=3&filter=0");
  EXPECT_EQ(s2, 200);
  // Minutes 02..04: ad002 30, ad001 3+4+5 = 12.
  EXPECT_EQ(two["ad_ids"], json::parse(R"(["ad002","ad001"])"));
  EXPECT_EQ(two["counts"], json::parse("[30,12]"));
  EXPECT_EQ(two["window"], 3);
  auto [s3, f12] = get("/v1/ads/popular_ads?window=1440&count=1000&filter=12");
  EXPECT_EQ(s3, 200);
  EXPECT_EQ(f12["ad_ids"], json::parse(R"(["ad001"])"));
  EXPECT_EQ(f12["counts"], json::parse("[5]"));
  EXPECT_EQ(f12["filter"], 12);
  auto [s4, f14] = get("/v1/ads/popular_ads?filter=14");
  EXPECT_EQ(s4, 200);
  EXPECT_TRUE(f14["ad_ids"].empty());
}

TEST_F(HttpServerTest, BadParametersAre400WithAJsonError) {
  const std::string ac = "/v1/ads/ad001/aggregated_count";
  expect_bad(ac + "?from=abc", "from");
  expect_bad(ac + "?from=202113010000", "from");            // month 13
  expect_bad(ac + "?to=202102300000", "to");                // 30 February
  expect_bad(ac + "?from=202101012400", "from");            // hour 24
  expect_bad(ac + "?from=20210101000", "from");             // 11 digits
  expect_bad(ac + "?from=202101010005&to=202101010000", "after");
  expect_bad(ac + "?filter=7", "unknown filter");
  expect_bad(ac + "?filter=x", "filter");
  expect_bad(ac + "?filter=-1", "filter");
  expect_bad(ac + "?filter=70000", "filter");
  expect_bad(ac + "?from=202101010000&from=202101010001", "more than once");
  expect_bad("/v1/ads/" + std::string(65, 'a') + "/aggregated_count", "ad_id");
  expect_bad("/v1/ads/a%2Cb/aggregated_count", "ad_id");  // a comma
  const std::string pa = "/v1/ads/popular_ads";
  expect_bad(pa + "?count=0", "count");
  expect_bad(pa + "?count=1001", "count");
  expect_bad(pa + "?count=ten", "count");
  expect_bad(pa + "?count=", "count");
  expect_bad(pa + "?count=1.5", "count");
  expect_bad(pa + "?count=99999999999999999999999", "count");
  expect_bad(pa + "?window=0", "window");
  expect_bad(pa + "?window=1441", "window");
  expect_bad(pa + "?window=+5", "window");
  expect_bad(pa + "?filter=13", "unknown filter");
  // 64 bytes is still an ad id.
  EXPECT_EQ(get("/v1/ads/" + std::string(64, 'a') + "/aggregated_count").first, 200);
}

TEST_F(HttpServerTest, UnknownRoutesAre404Json) {
  for (const char* path : {"/nope", "/v1/ads", "/v1/ads/ad001", "/v1/ads/ad001/other",
                           "/v1/ads/a/b/aggregated_count", "/v1/ads//aggregated_count"}) {
    auto [status, body] = get(path);
    EXPECT_EQ(status, 404) << path;
    EXPECT_EQ(body["error"], "not found") << path;
  }
}

TEST_F(HttpServerTest, HealthMetricsAndDashboard) {
  auto [status, body] = get("/healthz");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, json::parse(R"({"status":"ok"})"));
  get("/v1/ads/popular_ads?count=0");
  get("/nope");
  auto metrics = client->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  const std::string& text = metrics->body;
  EXPECT_NE(text.find("# TYPE clickagg_http_requests_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(clickagg_http_requests_total{route="/healthz",status="200"} 1)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"(clickagg_http_requests_total{route="/v1/ads/popular_ads",status="400"} 1)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"(clickagg_http_requests_total{route="other",status="404"} 1)"),
            std::string::npos) << text;
  EXPECT_NE(text.find("clickagg_http_request_duration_seconds_bucket{le=\"+Inf\"} 3"),
            std::string::npos) << text;
  auto page = client->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("/assets/dashboard.js"), std::string::npos) << "the page loads its script";
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
  auto script = client->Get("/assets/dashboard.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_NE(script->body.find("/v1/ads/popular_ads"), std::string::npos) << "the script queries the API";
}

TEST_F(HttpServerTest, SeesNewWritesAndStopsCleanly) {
  store::ResultBatch b;
  b.windows.push_back(make_window(kBase + 5, {{"ad009", 0, 42}}, false));
  writer->write(b);
  auto [status, body] = get("/v1/ads/popular_ads");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["minute"], 202101010005);
  EXPECT_EQ(body["ad_ids"], json::parse(R"(["ad009"])"));
  server->stop();
  server->stop();  // idempotent
  EXPECT_FALSE(client->Get("/healthz"));
}

TEST(HttpServerEmptyStoreTest, FallsBackToTheWallClock) {
  TempDir dir;
  const std::string db = dir.file("empty.db");
  store::open_store(db, store::OpenMode::Writer).reset();
  ServerOptions opts;
  opts.port = 0;
  opts.wall_clock_ms = [] { return (kBase + 30) * kMsPerMinute + 59'999; };  // 00:30:59.999
  HttpServer server(opts, std::make_shared<store::StorePool>(
                              [db] { return store::open_store(db, store::OpenMode::Reader); }));
  httplib::Client client("127.0.0.1", server.start());
  auto res = client.Get("/v1/ads/x/aggregated_count");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body),
            json::parse(R"({"ad_id":"x","count":0,"from":202101010029,"to":202101010030,"filter":0})"));
  res = client.Get("/v1/ads/popular_ads");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body),
            json::parse(R"({"ad_ids":[],"counts":[],"window":1,"minute":202101010029,"filter":0})"));
}

TEST(HttpServerBindTest, BusyPortIsAnError) {
  TempDir dir;
  const std::string db = dir.file("b.db");
  store::open_store(db, store::OpenMode::Writer).reset();
  auto pool = std::make_shared<store::StorePool>(
      [db] { return store::open_store(db, store::OpenMode::Reader); });
  ServerOptions opts;
  opts.port = 0;
  HttpServer first(opts, pool);
  opts.port = first.start();
  HttpServer second(opts, pool);
  EXPECT_THROW(second.start(), std::runtime_error);
}

}  // namespace
}  // namespace clickagg::serve
