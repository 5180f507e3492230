// `clickagg run` as a real process: generated clicks whose event time starts 3 minutes back
// and runs 20x the wall clock, so windows close within seconds. The API is queried while it
// runs; afterwards the database is reopened (through `clickagg serve`) to check what it kept.
// Ctrl-C must stop it cleanly (exit 0) and a restart must carry on from its checkpoint (a
// restart after SIGKILL is tests/integration/run).
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "host/common/time_util.h"
#include "tests/cli/run_cli_support.h"

namespace clickagg {
namespace {

namespace fs = std::filesystem;
using clickagg::testing::ChildProcess;
using clickagg::testing::http_get;
using clickagg::testing::read_text;
using clickagg::testing::wait_for_port_file;
using nlohmann::json;
using namespace std::chrono_literals;

std::string iso_minutes_ago(int minutes) {
  const std::time_t t = std::time(nullptr) - minutes * 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json get_json(uint16_t port, const std::string& path, int expect_status = 200) {
  auto [status, body] = http_get(port, path);
  EXPECT_EQ(status, expect_status) << path << " -> " << body;
  return json::parse(body, nullptr, /*allow_exceptions=*/false);
}

int64_t next_minute(int64_t yyyymmddhhmm) {
  return minute_to_yyyymmddhhmm(*parse_minute(std::to_string(yyyymmddhhmm)) + 1);
}

// Polls popular_ads until a closed minute with clicks shows up.
json wait_for_popular(uint16_t port, ChildProcess& child, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until && child.running()) {
    auto [status, body] = http_get(port, "/v1/ads/popular_ads?count=5");
    if (status == 200) {
      json j = json::parse(body, nullptr, false);
      if (j.is_object() && !j["ad_ids"].empty()) return j;
    }
    std::this_thread::sleep_for(100ms);
  }
  return json();
}

class RunCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("clickagg-run-" + std::to_string(rd()));
    fs::create_directories(dir);
    start = iso_minutes_ago(3);  // the same for a restart: the run's stream goes on
  }
  void TearDown() override {
    if (HasFailure())
      for (const char* log : {"run.err", "run2.err", "serve.err"})
        if (fs::exists(dir / log)) std::fprintf(stderr, "--- %s:\n%s\n", log, read_text(dir / log).c_str());
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  std::vector<std::string> run_args(const std::string& port_file, const std::string& duration) {
    return {CLICKAGG_EXE, "run", "--engine", "cpu", "--threads", "2", "--duration", duration,
            "--rate", "5000", "--events-per-second", "250", "--start", start,
            "--delay", "1s", "--allowed-lateness", "2s", "--db", db(), "--listen", "127.0.0.1:0",
            "--port-file", port_file, "--progress-interval", "1s"};
  }
  std::string db() const { return (dir / "tmp.db").string(); }
  std::string path(const char* name) const { return (dir / name).string(); }

  // Opens the database again through `clickagg serve` and returns (child, port).
  std::pair<std::unique_ptr<ChildProcess>, uint16_t> reopen() {
    auto serve = std::make_unique<ChildProcess>(
        std::vector<std::string>{CLICKAGG_EXE, "serve", "--db", db(), "--listen", "127.0.0.1:0",
                                 "--port-file", path("serve.port")},
        path("serve.err"));
    const auto port = wait_for_port_file(path("serve.port"), 20s, *serve);
    EXPECT_TRUE(port) << read_text(path("serve.err"));
    return {std::move(serve), port.value_or(0)};
  }

  fs::path dir;
  std::string start;
};

TEST_F(RunCliTest, AnswersWhileRunningAndKeepsTheData) {
  ChildProcess run(run_args(path("run.port"), "8s"), path("run.err"));
  ASSERT_TRUE(run.started());
  const auto port = wait_for_port_file(path("run.port"), 20s, run);
  ASSERT_TRUE(port) << read_text(path("run.err"));

  EXPECT_EQ(get_json(*port, "/healthz"), json::parse(R"({"status":"ok"})"));
  const json top = wait_for_popular(*port, run, 15s);
  ASSERT_TRUE(top.is_object()) << "no closed minute with clicks while running";
  ASSERT_EQ(top["ad_ids"].size(), top["counts"].size());
  const std::string ad = top["ad_ids"][0];
  const uint64_t top_count = top["counts"][0];
  const int64_t minute = top["minute"];
  EXPECT_GT(top_count, 0u);
  // The same minute through aggregated_count: at least what the list said (a late event may
  // have corrected the minute upwards in between).
  const json count = get_json(*port, "/v1/ads/" + ad + "/aggregated_count?from=" +
                                         std::to_string(minute) + "&to=" +
                                         std::to_string(next_minute(minute)));
  EXPECT_GE(count["count"].get<uint64_t>(), top_count);
  EXPECT_EQ(get_json(*port, "/v1/ads/popular_ads?filter=1")["filter"], 1);  // a default filter
  EXPECT_TRUE(get_json(*port, "/v1/ads/popular_ads?filter=99", 400).contains("error"));
  const auto [mstatus, metrics] = http_get(*port, "/metrics");
  EXPECT_EQ(mstatus, 200);
  EXPECT_NE(metrics.find("clickagg_run_records_total"), std::string::npos);
  EXPECT_NE(metrics.find("clickagg_http_requests_total"), std::string::npos);
  const size_t info = metrics.find("\nclickagg_build_info{");  // the build that answers
  ASSERT_NE(info, std::string::npos) << metrics;
  const std::string info_line = metrics.substr(info + 1, metrics.find('\n', info + 1) - info - 1);
  EXPECT_NE(info_line.find("commit=\""), std::string::npos) << info_line;
  EXPECT_NE(info_line.find("version=\""), std::string::npos) << info_line;
  EXPECT_TRUE(info_line.ends_with(" 1")) << info_line;

  const auto status = run.wait(30s);
  ASSERT_TRUE(status) << "did not stop after --duration";
  EXPECT_EQ(*status, 0) << read_text(path("run.err"));
  const std::string err = read_text(path("run.err"));
  EXPECT_NE(err.find("events/s, last closed"), std::string::npos) << err;

  auto [serve, sport] = reopen();
  ASSERT_NE(sport, 0);
  const json again = get_json(sport, "/v1/ads/" + ad + "/aggregated_count?from=" +
                                          std::to_string(minute) + "&to=" +
                                          std::to_string(next_minute(minute)));
  EXPECT_GE(again["count"].get<uint64_t>(), count["count"].get<uint64_t>());
  EXPECT_FALSE(get_json(sport, "/v1/ads/popular_ads")["ad_ids"].empty());
  // serve takes the filter ids the run recorded.
  EXPECT_EQ(get_json(sport, "/v1/ads/popular_ads?filter=4")["filter"], 4);
  serve->signal(SIGTERM);
  EXPECT_EQ(serve->wait(15s), 0);
}

TEST_F(RunCliTest, CtrlCStopsCleanlyAndARestartCarriesOn) {
  ChildProcess run(run_args(path("run.port"), "0"), path("run.err"));
  ASSERT_TRUE(run.started());
  const auto port = wait_for_port_file(path("run.port"), 20s, run);
  ASSERT_TRUE(port) << read_text(path("run.err"));
  const json top = wait_for_popular(*port, run, 15s);
  ASSERT_TRUE(top.is_object());
  const int64_t minute = top["minute"];
  const std::string range =
      "?from=" + std::to_string(minute) + "&to=" + std::to_string(next_minute(minute));
  const std::string ad = top["ad_ids"][0];

  run.signal(SIGINT);
  const auto status = run.wait(20s);
  ASSERT_TRUE(status) << "SIGINT did not stop it";
  EXPECT_EQ(*status, 0) << read_text(path("run.err"));
  EXPECT_NE(read_text(path("run.err")).find("stopped"), std::string::npos);
  EXPECT_TRUE(fs::exists(db() + ".state/partitions/0/checkpoint.bin"));
  EXPECT_TRUE(fs::exists(db() + ".state/run.json"));

  uint64_t before = 0;
  {
    auto [serve, sport] = reopen();
    ASSERT_NE(sport, 0);
    before = get_json(sport, "/v1/ads/" + ad + "/aggregated_count" + range)["count"];
    EXPECT_GE(before, top["counts"][0].get<uint64_t>());
    serve->signal(SIGINT);
    EXPECT_EQ(serve->wait(15s), 0);
  }

  fs::remove(path("run.port"));
  ChildProcess again(run_args(path("run.port"), "3s"), path("run2.err"));
  const auto port2 = wait_for_port_file(path("run.port"), 20s, again);
  ASSERT_TRUE(port2) << read_text(path("run2.err"));
  // The first run's minutes are still there while the second one runs.
  EXPECT_GE(get_json(*port2, "/v1/ads/" + ad + "/aggregated_count" + range)["count"].get<uint64_t>(),
            before);
  EXPECT_EQ(again.wait(30s), 0) << read_text(path("run2.err"));
  EXPECT_NE(read_text(path("run2.err")).find("resumed from checkpoint"), std::string::npos)
      << read_text(path("run2.err"));
}

}  // namespace
}  // namespace clickagg
