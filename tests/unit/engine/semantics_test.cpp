// One test per rule of the window semantics, on the CPU engine, with expectations worked out
// by hand from the rules.
#include <gtest/gtest.h>

#include "host/engine/engine.h"
#include "tests/unit/engine/event_builder.h"

namespace clickagg {
namespace {

using testing_support::at;
using testing_support::EventBuilder;
using testing_support::minute_index;
using testing_support::RecordingSink;

EngineConfig base_config() {
  EngineConfig c;
  c.delay_ms = 15'000;
  c.allowed_lateness_ms = 600'000;
  c.threads = 2;
  return c;
}

struct Harness {
  explicit Harness(EngineConfig c = base_config()) : engine(make_cpu_engine(c)) {}
  void feed(std::vector<Event> evs, uint32_t partition = 0, int64_t now = 0) {
    engine->process(partition, evs, now, sink);
  }
  EventBuilder b;
  std::unique_ptr<Engine> engine;
  RecordingSink sink;
};

TEST(Semantics, MinuteIsFloorOfEventTime) {
  EXPECT_EQ(minute_of(0), 0);
  EXPECT_EQ(minute_of(59'999), 0);
  EXPECT_EQ(minute_of(60'000), 1);
  EXPECT_EQ(minute_of(-1), -1);
  EXPECT_EQ(window_end_ms(0), 60'000);
}

TEST(Semantics, WindowClosesExactlyWhenWatermarkReachesItsEnd) {
  Harness h;
  h.feed({h.b.make("ad1", at(0, 10))});
  // W = 01:14 - 15 s = 00:59: minute 0 still open.
  h.feed({h.b.make("ad2", at(1, 14))});
  EXPECT_TRUE(h.sink.windows.empty());
  // W = 01:15 - 15 s = 01:00 = end of minute 0: closed.
  h.feed({h.b.make("ad2", at(1, 15))});
  ASSERT_EQ(h.sink.windows.size(), 1u);
  EXPECT_EQ(h.sink.windows[0].minute, minute_index(0));
  EXPECT_FALSE(h.sink.windows[0].correction);
  EXPECT_EQ(named_rows(h.sink.windows[0]), (std::vector<NamedRow>{{"ad1", 0, 1}}));
}

TEST(Semantics, OutOfOrderWithinDelayIsCountedOnTime) {
  Harness h;
  h.feed({h.b.make("ad1", at(1, 5)), h.b.make("ad1", at(0, 55)), h.b.make("ad1", at(2, 0))});
  h.engine->finish(h.sink);
  EXPECT_EQ(h.sink.count("ad1", minute_index(0)), 1u);
  EXPECT_EQ(h.sink.count("ad1", minute_index(1)), 1u);
  EXPECT_EQ(h.engine->stats().late_counted, 0u);
}

TEST(Semantics, LateEventWithinLatenessIsCountedAndCorrects) {
  Harness h;
  h.feed({h.b.make("ad1", at(0, 10)), h.b.make("ad1", at(2, 0))});  // W = 01:45: minute 0 closed
  ASSERT_EQ(h.sink.windows.size(), 1u);
  h.feed({h.b.make("ad1", at(0, 30), "user 2")});  // late, within 10 min
  ASSERT_EQ(h.sink.windows.size(), 2u);
  EXPECT_TRUE(h.sink.windows[1].correction);
  EXPECT_EQ(named_rows(h.sink.windows[1]), (std::vector<NamedRow>{{"ad1", 0, 2}}));
  const EngineStats st = h.engine->stats();
  EXPECT_EQ(st.counted, 3u);
  EXPECT_EQ(st.late_counted, 1u);
  EXPECT_EQ(st.corrections, 1u);
  // The top-N list of minute 0 is emitted again with the new count.
  ASSERT_FALSE(h.sink.lists.empty());
  const TopNList& last = h.sink.lists.back();
  EXPECT_TRUE(last.correction);
  EXPECT_EQ(last.minute, minute_index(0));
  EXPECT_EQ(named_entries(last), (std::vector<NamedEntry>{{"ad1", 2}}));
}

TEST(Semantics, EventPastAllowedLatenessIsDroppedLate) {
  Harness h;
  h.feed({h.b.make("ad1", at(0, 10)), h.b.make("ad1", at(11, 15))});  // W = 11:00 = end 0 + 10 min
  h.feed({h.b.make("ad9", at(0, 59))});
  h.engine->finish(h.sink);
  EXPECT_EQ(h.sink.count("ad9", minute_index(0)), 0u);
  const EngineStats st = h.engine->stats();
  EXPECT_EQ(st.dropped_late, 1u);
  EXPECT_EQ(st.counted, 2u);
  ASSERT_EQ(h.sink.late.size(), 1u);
  EXPECT_EQ(h.sink.late[0].ad_id, "ad9");
  EXPECT_EQ(h.sink.late[0].t_ms, at(0, 59));
}

TEST(Semantics, OneMillisecondBeforePurgeIsStillCounted) {
  Harness h;
  h.feed({h.b.make("ad1", at(11, 14, 999))});  // W = 10:59.999 < 11:00
  h.feed({h.b.make("ad2", at(0, 0))});
  h.engine->finish(h.sink);
  EXPECT_EQ(h.sink.count("ad2", minute_index(0)), 1u);
  EXPECT_EQ(h.engine->stats().late_counted, 1u);
}

TEST(Semantics, DuplicateClickIdInSameWindowIsNotCounted) {
  Harness h;
  h.feed({h.b.make("ad1", at(0, 1), "user 1", "c1"), h.b.make("ad1", at(0, 40), "user 2", "c1"),
          h.b.make("ad2", at(0, 41), "user 3", "c1"),  // same click_id, other ad: still a duplicate
          h.b.make("ad1", at(1, 2), "user 1", "c1")});  // next window: counted
  h.engine->finish(h.sink);
  EXPECT_EQ(h.sink.count("ad1", minute_index(0)), 1u);
  EXPECT_EQ(h.sink.count("ad2", minute_index(0)), 0u);
  EXPECT_EQ(h.sink.count("ad1", minute_index(1)), 1u);
  EXPECT_EQ(h.engine->stats().duplicates, 2u);
}

TEST(Semantics, DuplicateTupleWithoutClickIdIsNotCounted) {
  Harness h;
  h.feed({h.b.make("ad1", at(0, 1)), h.b.make("ad1", at(0, 1)),
          h.b.make("ad1", at(0, 1), "user 2"),      // other user
          h.b.make("ad1", at(0, 1, 1)),             // other millisecond
          h.b.make("ad1", at(0, 1), "user 1", "", 2),  // other ip
          h.b.make("ad1", at(0, 1), "user 1", "", 1, "GB")});  // other country
  h.engine->finish(h.sink);
  EXPECT_EQ(h.sink.count("ad1", minute_index(0)), 5u);
  EXPECT_EQ(h.engine->stats().duplicates, 1u);
}

TEST(Semantics, DuplicateAcrossBatchesAndOfALateEvent) {
  Harness h;
  h.feed({h.b.make("ad1", at(0, 1), "u", "c7")});
  h.feed({h.b.make("ad1", at(2, 0))});  // closes minute 0
  h.feed({h.b.make("ad1", at(0, 1), "u", "c7")});  // late duplicate: still a duplicate
  h.engine->finish(h.sink);
  EXPECT_EQ(h.sink.count("ad1", minute_index(0)), 1u);
  EXPECT_EQ(h.engine->stats().duplicates, 1u);
  EXPECT_EQ(h.engine->stats().late_counted, 0u);
}

TEST(Semantics, FiltersCountMatchingEventsUnderTheirIds) {
  EngineConfig c = base_config();
  FilterDef us;
  us.id = 12;
  Country cus;
  cus.code = {'U', 'S'};
  cus.len = 2;
  us.countries = {cus};
  FilterDef net;
  net.id = 14;
  net.ip_blocks = {*parse_cidr("10.0.0.0/31")};  // ip_last 0 and 1
  net.user_ids = {"user 1", "user 7"};
  c.filters = FilterSet({net, us});
  Harness h(c);
  h.feed({h.b.make("ad1", at(0, 1), "user 1", "", 1, "US"), h.b.make("ad1", at(0, 2), "user 7", "", 2, "US"),
          h.b.make("ad1", at(0, 3), "user 7", "", 0, "GB"), h.b.make("ad2", at(0, 4), "user 2", "", 1, "GB")});
  h.engine->finish(h.sink);
  const int64_t m = minute_index(0);
  EXPECT_EQ(h.sink.count("ad1", m, 0), 3u);
  EXPECT_EQ(h.sink.count("ad1", m, 12), 2u);
  EXPECT_EQ(h.sink.count("ad1", m, 14), 2u);  // user 1 @ .1 and user 7 @ .0
  EXPECT_EQ(h.sink.count("ad2", m, 0), 1u);
  EXPECT_EQ(h.sink.count("ad2", m, 12), 0u);
  EXPECT_EQ(h.sink.count("ad2", m, 14), 0u);
  // Rows sorted by filter then ad.
  const std::vector<NamedRow> rows = named_rows(h.sink.final_windows.at(m));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (NamedRow{"ad1", 0, 3}));
  EXPECT_EQ(rows[1], (NamedRow{"ad2", 0, 1}));
  EXPECT_EQ(rows[2], (NamedRow{"ad1", 12, 2}));
  EXPECT_EQ(rows[3], (NamedRow{"ad1", 14, 2}));
}

TEST(Semantics, TopNRanksByCountThenAdIdBytes) {
  EngineConfig c = base_config();
  c.top_n = 3;
  Harness h(c);
  std::vector<Event> evs;
  auto add = [&](const std::string& ad, int n) {
    for (int i = 0; i < n; ++i) evs.push_back(h.b.make(ad, at(0, i), "user " + std::to_string(evs.size())));
  };
  add("b", 2);
  add("a", 2);
  add("B", 2);  // 'B' < 'a' < 'b' in byte order
  add("z", 5);
  add("c", 1);
  h.feed(evs);
  h.engine->finish(h.sink);
  const TopNList& l = h.sink.final_lists.at({minute_index(0), 1, 0});
  EXPECT_EQ(named_entries(l), (std::vector<NamedEntry>{{"z", 5}, {"B", 2}, {"a", 2}}));
}

TEST(Semantics, TopNOverSeveralMinutesSumsAndCoversEmptyMinutes) {
  EngineConfig c = base_config();
  c.topn_windows = {1, 3};
  Harness h(c);
  h.feed({h.b.make("x", at(0, 1)), h.b.make("x", at(0, 2)), h.b.make("y", at(0, 3)), h.b.make("y", at(2, 1)),
          h.b.make("y", at(2, 2))});  // minute 1 empty
  h.engine->finish(h.sink);
  const int64_t m0 = minute_index(0), m1 = minute_index(1), m2 = minute_index(2);
  EXPECT_EQ(named_entries(h.sink.final_lists.at({m0, 3, 0})), (std::vector<NamedEntry>{{"x", 2}, {"y", 1}}));
  EXPECT_EQ(named_entries(h.sink.final_lists.at({m1, 3, 0})), (std::vector<NamedEntry>{{"x", 2}, {"y", 1}}));
  EXPECT_EQ(named_entries(h.sink.final_lists.at({m2, 3, 0})), (std::vector<NamedEntry>{{"y", 3}, {"x", 2}}));
  EXPECT_EQ(named_entries(h.sink.final_lists.at({m2, 1, 0})), (std::vector<NamedEntry>{{"y", 2}}));
  EXPECT_EQ(h.sink.final_lists.count({m1, 1, 0}), 0u);  // nothing clicked in minute 1
  // No list after the last minute with counted events.
  EXPECT_EQ(h.sink.final_lists.count({minute_index(3), 3, 0}), 0u);
}

TEST(Semantics, SlowPartitionHoldsTheWatermark) {
  Harness h;
  h.feed({h.b.make("a", at(0, 1))}, 0);
  h.feed({h.b.make("b", at(0, 2))}, 1);
  h.feed({h.b.make("a", at(5, 0))}, 0);  // partition 1 still at 00:02 - 15 s
  EXPECT_TRUE(h.sink.windows.empty());
  h.feed({h.b.make("b", at(1, 20))}, 1);  // W = min(04:45, 01:05) = 01:05
  ASSERT_EQ(h.sink.windows.size(), 1u);
  EXPECT_EQ(h.sink.windows[0].minute, minute_index(0));
}

TEST(Semantics, IdlePartitionStopsHoldingTheWatermark) {
  EngineConfig c = base_config();
  c.idle_timeout_ms = 30'000;
  Harness h(c);
  h.feed({h.b.make("a", at(0, 1))}, 0, 1'000);
  h.feed({h.b.make("b", at(0, 2))}, 1, 1'000);
  h.feed({h.b.make("a", at(3, 0))}, 0, 20'000);
  EXPECT_TRUE(h.sink.windows.empty());
  h.engine->tick(31'001, h.sink);  // partition 1 silent for 30.001 s: idle
  ASSERT_FALSE(h.sink.windows.empty());
  EXPECT_EQ(h.sink.windows[0].minute, minute_index(0));
  // The watermark never goes back when partition 1 wakes up.
  const int64_t w = h.engine->stats().watermark_ms;
  h.feed({h.b.make("b", at(0, 3))}, 1, 32'000);
  EXPECT_GE(h.engine->stats().watermark_ms, w);
  EXPECT_EQ(h.engine->stats().late_counted, 1u);
}

TEST(Semantics, EndOfInputClosesEveryWindow) {
  Harness h;
  h.feed({h.b.make("a", at(0, 1)), h.b.make("a", at(7, 1))});
  h.engine->finish(h.sink);
  EXPECT_EQ(h.sink.final_windows.size(), 2u);
  const EngineStats st = h.engine->stats();
  EXPECT_EQ(st.events, st.counted + st.duplicates + st.dropped_late);
}

}  // namespace
}  // namespace clickagg
