// `clickagg sink --metrics-listen` as a real process: results go in over the acknowledged
// channel, and /metrics must count exactly what was sent, committed, skipped and refused.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <zmq.hpp>

#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "host/emit/acked_channel.h"
#include "host/emit/channel_frames.h"
#include "host/emit/envelope_codec.h"
#include "tests/unit/emit/free_endpoint.h"
#include "tests/unit/store/temp_dir.h"

extern char** environ;

namespace clickagg::sink {
namespace {

using std::chrono::milliseconds;

// The sink process, stopped with SIGTERM (a clean stop) at scope exit.
class SinkProcess {
 public:
  SinkProcess(const std::string& listen, const std::string& db, uint16_t metrics_port, const std::string& log) {
    std::vector<std::string> args = {CLICKAGG_EXE, "sink", "--listen", listen, "--db", db,
                                     "--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&pid_, CLICKAGG_EXE, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid_ = -1;
  }
  ~SinkProcess() { stop(); }
  int stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

// "name{labels}" -> value, from the Prometheus text format.
std::map<std::string, double> parse_metrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

std::map<std::string, double> scrape(uint16_t port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1);
  for (int i = 0; i < 100; ++i) {
    if (auto res = client.Get("/metrics"); res && res->status == 200) return parse_metrics(res->body);
    std::this_thread::sleep_for(milliseconds(100));
  }
  ADD_FAILURE() << "no /metrics on port " << port;
  return {};
}

uint16_t port_of(const std::string& endpoint) {
  return static_cast<uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

TEST(SinkMetrics, CountWhatWasSentCommittedAndRefused) {
  clickagg::testing::TempDir dir;
  const std::string ep = clickagg::testing::free_tcp_endpoint();
  uint16_t metrics_port = 0;
  do metrics_port = port_of(clickagg::testing::free_tcp_endpoint());
  while (metrics_port == port_of(ep));
  SinkProcess sink(ep, dir.file("sink.db"), metrics_port, dir.file("sink.log"));
  ASSERT_TRUE(sink.running());

  // 40 results, each minute and list key once (so no result supersedes another and every
  // row sent is a row written): 10 windows of i+1 rows (one of them a zero count, which the
  // store leaves out), 10 top-N lists of i+2 entries, 10 late events, 9 rejects, then the
  // aggregator's progress.
  std::vector<emit::Body> bodies;
  uint64_t count_rows = 0, topn_entries = 0;
  for (int i = 0; i < 10; ++i) {
    std::vector<NamedRow> rows;
    for (int r = 0; r <= i; ++r) rows.push_back({"ad" + std::to_string(r), 0, r == 0 ? 0u : 5u});
    count_rows += static_cast<uint64_t>(i);
    bodies.push_back(make_window(27'000'000 + i, rows));
    std::vector<NamedEntry> entries;
    for (int r = 0; r < i + 2; ++r) entries.push_back({"ad" + std::to_string(r), 9});
    topn_entries += static_cast<uint64_t>(i + 2);
    bodies.push_back(make_list(27'000'000 + i, 1, 0, false, entries));
    bodies.push_back(LateRecord{1, static_cast<uint64_t>(i), "late", 5, 6});
    if (i < 9) bodies.push_back(emit::RejectRecord{2, static_cast<uint64_t>(i), "bad", "x"});
  }
  const emit::ProgressRecord progress{1000, 900, 7, 80, 20, 9, 10, 0, 1234, 27'000'010LL * 60'000};
  bodies.push_back(progress);
  const uint64_t n = bodies.size();

  zmq::context_t ctx;
  {
    emit::AckedChannel ch(ctx, ep, "agg-m", 1000, milliseconds(500));
    for (uint64_t seq = 1; seq <= n; ++seq) ch.send(seq, emit::encode({"agg-m", seq, bodies[seq - 1]}));
    ASSERT_TRUE(ch.drain(std::chrono::seconds(20)));
  }
  {
    // A restarted aggregator replays its last 5 results: skipped as duplicates.
    emit::AckedChannel ch(ctx, ep, "agg-m", 1000, milliseconds(500));
    for (uint64_t seq = n - 4; seq <= n; ++seq) ch.send(seq, emit::encode({"agg-m", seq, bodies[seq - 1]}));
    ASSERT_TRUE(ch.drain(std::chrono::seconds(20)));
  }
  {
    // Garbage in an MSG frame: refused, nothing else changes.
    zmq::socket_t raw(ctx, zmq::socket_type::dealer);
    raw.set(zmq::sockopt::routing_id, "garbage");
    raw.set(zmq::sockopt::linger, 1000);
    raw.connect(ep);
    raw.send(zmq::buffer(emit::kMsgFrame), zmq::send_flags::sndmore);
    raw.send(zmq::str_buffer("\xff\xff not an envelope"));
  }

  std::map<std::string, double> m;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    m = scrape(metrics_port);
    // Everything received, the last round committed, the store's cached values refreshed.
    if (m["clickagg_sink_malformed_total"] >= 1 && m["clickagg_store_events_total"] == 1000 &&
        m["clickagg_sink_received_total"] == static_cast<double>(n + 5 + 1) && m["clickagg_sink_pending_messages"] == 0)
      break;
    std::this_thread::sleep_for(milliseconds(200));  // the store values are cached for a second
  } while (std::chrono::steady_clock::now() < deadline);

  EXPECT_EQ(m["clickagg_sink_received_total"], static_cast<double>(n + 5 + 1));
  EXPECT_EQ(m["clickagg_sink_applied_total"], static_cast<double>(n));
  EXPECT_EQ(m["clickagg_sink_duplicates_total"], 5);
  EXPECT_EQ(m["clickagg_sink_beyond_gap_total"], 0);
  EXPECT_EQ(m["clickagg_sink_malformed_total"], 1);
  EXPECT_GE(m["clickagg_sink_hellos_total"], 2) << "one per channel at least";
  EXPECT_EQ(m["clickagg_sink_failed_commits_total"], 0);
  EXPECT_GE(m["clickagg_sink_commits_total"], 1);
  EXPECT_LE(m["clickagg_sink_commits_total"], m["clickagg_sink_rounds_total"]);
  EXPECT_EQ(m["clickagg_sink_commit_duration_seconds_count"], m["clickagg_sink_commits_total"]);
  EXPECT_GT(m["clickagg_sink_commit_duration_seconds_sum"], 0);
  EXPECT_GE(m["clickagg_sink_acks_sent_total"], 2 + 1) << "HELLO answers and at least one commit";
  EXPECT_EQ(m["clickagg_sink_pending_messages"], 0);
  EXPECT_EQ(m["clickagg_sink_committed_seq{producer=\"agg-m\"}"], static_cast<double>(n));
  EXPECT_EQ(m["clickagg_sink_rows_written_total{table=\"counts\"}"], static_cast<double>(count_rows));
  EXPECT_EQ(m["clickagg_sink_rows_written_total{table=\"topn\"}"], static_cast<double>(topn_entries));
  EXPECT_EQ(m["clickagg_sink_rows_written_total{table=\"late_events\"}"], 10);
  EXPECT_EQ(m["clickagg_sink_rows_written_total{table=\"rejects\"}"], 9);
  EXPECT_EQ(m["clickagg_sink_progress_writes_total"], 1);

  // The aggregator's progress as the store recorded it.
  EXPECT_EQ(m["clickagg_store_events_total"], 1000);
  EXPECT_EQ(m["clickagg_store_counted_total"], 900);
  EXPECT_EQ(m["clickagg_store_late_counted_total"], 7);
  EXPECT_EQ(m["clickagg_store_duplicates_total"], 80);
  EXPECT_EQ(m["clickagg_store_dropped_late_total"], 20);
  EXPECT_EQ(m["clickagg_store_rejected_total"], 9);
  EXPECT_EQ(m["clickagg_store_windows_closed_total"], 10);
  EXPECT_EQ(m["clickagg_store_consumer_lag"], 1234);
  // Watermark at the start of minute 27'000'010: minute 27'000'009 is the last closed one.
  EXPECT_EQ(m["clickagg_store_last_closed_minute_timestamp_seconds"], 27'000'010.0 * 60);

  EXPECT_EQ(sink.stop(), 0);
}

}  // namespace
}  // namespace clickagg::sink
