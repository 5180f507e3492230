// The acknowledged channel and the sink end to end, over TCP, into SQLite: restarts of either
// side and a slow sink never lose, duplicate or reorder a result.
#include "host/sink/sink_service.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <zmq.hpp>

#include <thread>

#include "host/emit/acked_channel.h"
#include "host/emit/envelope_codec.h"
#include "tests/unit/emit/free_endpoint.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::sink {
namespace {

using std::chrono::milliseconds;

// A sink on its own thread with its own store connection, stopped (round finished) at scope exit.
class RunningSink {
 public:
  RunningSink(zmq::context_t& ctx, const std::string& db, SinkOptions opt)
      : store_(store::open_store(db, store::OpenMode::Writer)), service_(ctx, *store_, std::move(opt)) {
    thread_ = std::thread([this] { service_.run(stop_); });
  }
  ~RunningSink() {
    stop_ = true;
    thread_.join();
  }
  SinkStats stats() {
    // Read after the thread stopped, or approximately while it runs (tests only poll counters).
    return service_.stats();
  }

 private:
  std::unique_ptr<store::AggregateStore> store_;
  SinkService service_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Result number i (1-based) of a deterministic stream: minute i/4 gets window results (the
// later ones corrections), top-N lists, late events and rejects.
emit::Body result(uint64_t i) {
  const int64_t minute = 1000 + static_cast<int64_t>(i / 4);
  switch (i % 4) {
    case 0:
      return make_window(minute, {{"ad" + std::to_string(i), 0, i}, {"ad", 0, 1}}, false);
    case 1:
      return make_window(minute, {{"ad" + std::to_string(i), 0, i}, {"ad", 0, 2}}, true);
    case 2:
      return make_list(minute, 1, 0, false, {{"ad", i}});
    default:
      return i % 8 == 3 ? emit::Body(LateRecord{1, i, "late", 5, 6}) : emit::Body(emit::RejectRecord{2, i, "bad", "x"});
  }
}

void send_range(emit::AckedChannel& ch, uint64_t first, uint64_t last) {
  for (uint64_t i = first; i <= last; ++i) ch.send(i, emit::encode({"agg-1", i, result(i)}));
}

uint64_t count_rows(const std::string& db, const std::string& table) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  const std::string sql = "SELECT count(*) FROM " + table;
  EXPECT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
  const auto n = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

// What the store must hold after results 1..n, whatever was resent or replayed.
void expect_state(const std::string& db, uint64_t n) {
  auto s = store::open_store(db, store::OpenMode::Reader);
  EXPECT_EQ(s->committed_seq("agg-1"), n);
  for (uint64_t i = 1; i <= n; ++i) {
    const int64_t minute = 1000 + static_cast<int64_t>(i / 4);
    const bool last_window_of_minute = (i % 4 == 1) || (i % 4 == 0 && i + 1 > n);
    if (i % 4 <= 1 && last_window_of_minute) {
      EXPECT_EQ(s->aggregated_count("ad" + std::to_string(i), minute, minute + 1, 0), i) << i;
      EXPECT_EQ(s->aggregated_count("ad", minute, minute + 1, 0), i % 4 == 1 ? 2u : 1u) << i;
      if (i % 4 == 1 && i > 1) {
        EXPECT_EQ(s->aggregated_count("ad" + std::to_string(i - 1), minute, minute + 1, 0), 0u)
            << "the correction replaced the original's rows";
      }
    }
    if (i % 4 == 2) {
      auto list = s->topn_list(minute, 1, 0);
      ASSERT_TRUE(list) << i;
      EXPECT_EQ(list->entries, (std::vector<NamedEntry>{{"ad", i}})) << i;
    }
  }
  // Late events and rejects: one row per position, however often they were sent.
  uint64_t late = 0, rejects = 0;
  for (uint64_t i = 1; i <= n; ++i)
    if (i % 4 == 3) ++(i % 8 == 3 ? late : rejects);
  EXPECT_EQ(count_rows(db, "late_events"), late);
  EXPECT_EQ(count_rows(db, "rejects"), rejects);
}

TEST(SinkService, CommitsEverythingOnceAcrossRestartsOfBothSides) {
  clickagg::testing::TempDir dir;
  const std::string db = dir.file("sink.db");
  const std::string ep = clickagg::testing::free_tcp_endpoint();
  zmq::context_t ctx;
  constexpr uint64_t kN = 3000;
  {
    auto sink = std::make_unique<RunningSink>(ctx, db, SinkOptions{.listen = ep});
    emit::AckedChannel ch(ctx, ep, "agg-1", 200, milliseconds(200));
    send_range(ch, 1, 1000);
    sink.reset();  // the sink goes away with messages in flight...
    std::thread restart([&] {
      std::this_thread::sleep_for(milliseconds(300));
      sink = std::make_unique<RunningSink>(ctx, db, SinkOptions{.listen = ep});
    });
    send_range(ch, 1001, 2000);  // ...blocks at 200 in flight until it is back
    restart.join();
    ASSERT_TRUE(ch.drain(std::chrono::seconds(20)));
    EXPECT_LE(ch.stats().in_flight, 200u);
  }
  {
    // The aggregator restarts from a checkpoint at seq 1500 and replays 1501..2000 with the
    // same content before going on: the sink skips what it has and acknowledges.
    RunningSink sink(ctx, db, SinkOptions{.listen = ep});
    emit::AckedChannel ch(ctx, ep, "agg-1", 500, milliseconds(200));
    send_range(ch, 1501, kN);
    ASSERT_TRUE(ch.drain(std::chrono::seconds(20)));
  }
  expect_state(db, kN);
  auto s = store::open_store(db, store::OpenMode::Reader);
  EXPECT_EQ(s->progress().last_closed_minute, 1000 + static_cast<int64_t>(kN / 4)) << "closed by originals only";
}

TEST(SinkService, ASlowSinkHoldsTheProducerBack) {
  clickagg::testing::TempDir dir;
  const std::string db = dir.file("sink.db");
  const std::string ep = clickagg::testing::free_tcp_endpoint();
  zmq::context_t ctx;
  RunningSink sink(ctx, db, SinkOptions{.listen = ep, .max_round_messages = 50, .delay_per_commit = milliseconds(20)});
  emit::AckedChannel ch(ctx, ep, "agg-1", 100, milliseconds(2000));
  size_t max_in_flight = 0;
  for (uint64_t i = 1; i <= 600; ++i) {
    ch.send(i, emit::encode({"agg-1", i, result(i)}));
    max_in_flight = std::max(max_in_flight, ch.in_flight());
  }
  ASSERT_TRUE(ch.drain(std::chrono::seconds(20)));
  EXPECT_LE(max_in_flight, 100u);
  EXPECT_GT(ch.stats().blocked_ms, 0u);
  EXPECT_EQ(ch.stats().resent, 0u) << "a slow but steady sink needs no resends";
  expect_state(db, 600);
}

TEST(SinkService, AnswersHelloWithTheStoredSeq) {
  clickagg::testing::TempDir dir;
  const std::string db = dir.file("sink.db");
  {
    auto s = store::open_store(db, store::OpenMode::Writer);
    store::ResultBatch b;
    b.producer_seqs = {{"agg-1", 41}};
    s->write(b);
  }
  const std::string ep = clickagg::testing::free_tcp_endpoint();
  zmq::context_t ctx;
  RunningSink sink(ctx, db, SinkOptions{.listen = ep});
  emit::AckedChannel ch(ctx, ep, "agg-1", 100, milliseconds(200));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ch.acked() == 0 && std::chrono::steady_clock::now() < deadline) ch.service(milliseconds(10));
  EXPECT_EQ(ch.acked(), 41u);
}

// A real store that fails its first reads of a committed seq and its first writes, as a
// database connection does while its server restarts.
class FailingAtFirst final : public store::AggregateStore {
 public:
  FailingAtFirst(std::unique_ptr<store::AggregateStore> s, int seq_failures, int write_failures)
      : s_(std::move(s)), seq_failures_(seq_failures), write_failures_(write_failures) {}
  void write(const store::ResultBatch& b) override {
    if (write_failures_-- > 0) throw store::StoreError("the server is restarting");
    s_->write(b);
  }
  uint64_t committed_seq(const std::string& producer) override {
    if (seq_failures_-- > 0) throw store::StoreError("the server is restarting");
    return s_->committed_seq(producer);
  }
  void set_filters(const std::vector<store::FilterInfo>& f) override { s_->set_filters(f); }
  uint64_t aggregated_count(std::string_view ad, int64_t from, int64_t to, uint16_t f) override {
    return s_->aggregated_count(ad, from, to, f);
  }
  std::optional<StoredList> topn_list(int64_t m, uint32_t w, uint16_t f) override { return s_->topn_list(m, w, f); }
  std::vector<NamedEntry> top_by_sum(int64_t a, int64_t b, uint16_t f, uint32_t n) override {
    return s_->top_by_sum(a, b, f, n);
  }
  store::Progress progress() override { return s_->progress(); }
  void record_reconcile(const store::ReconcileStatus& r) override { s_->record_reconcile(r); }
  std::optional<store::ReconcileStatus> last_reconcile() override { return s_->last_reconcile(); }
  std::vector<store::FilterInfo> filters() override { return s_->filters(); }

 private:
  std::unique_ptr<store::AggregateStore> s_;
  int seq_failures_, write_failures_;
};

TEST(SinkService, OutlivesAStoreThatFailsForAWhile) {
  clickagg::testing::TempDir dir;
  const std::string db = dir.file("sink.db");
  const std::string ep = clickagg::testing::free_tcp_endpoint();
  zmq::context_t ctx;
  FailingAtFirst flaky(store::open_store(db, store::OpenMode::Writer), 3, 2);
  SinkService service(ctx, flaky, SinkOptions{.listen = ep});
  std::atomic<bool> stop{false};
  std::exception_ptr failed;
  std::thread t([&] {
    try {
      service.run(stop);
    } catch (...) {
      failed = std::current_exception();
    }
  });
  {
    emit::AckedChannel ch(ctx, ep, "agg-1", 1000, milliseconds(200));  // room for all: a dead sink fails the drain
    send_range(ch, 1, 300);
    EXPECT_TRUE(ch.drain(std::chrono::seconds(20)));
  }
  stop = true;
  t.join();
  ASSERT_FALSE(failed) << "the sink stopped on a store error it can retry";
  EXPECT_GT(service.stats().failed_commits, 0u);
  expect_state(db, 300);
}

TEST(SinkService, RefusesAnEndpointInUse) {
  clickagg::testing::TempDir dir;
  const std::string ep = clickagg::testing::free_tcp_endpoint();
  zmq::context_t ctx;
  auto s1 = store::open_store(dir.file("a.db"), store::OpenMode::Writer);
  SinkService first(ctx, *s1, SinkOptions{.listen = ep});
  auto s2 = store::open_store(dir.file("b.db"), store::OpenMode::Writer);
  EXPECT_THROW(SinkService(ctx, *s2, SinkOptions{.listen = ep}), std::runtime_error);
}

}  // namespace
}  // namespace clickagg::sink
