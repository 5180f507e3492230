// Engine snapshots: a run interrupted by save/restore (with another thread count) ends with
// exactly the results of an uninterrupted run, and state stays bounded by retained windows.
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "host/engine/engine.h"
#include "tests/unit/engine/event_builder.h"

namespace clickagg {
namespace {

using testing_support::at;
using testing_support::EventBuilder;
using testing_support::RecordingSink;

std::vector<Event> random_stream(EventBuilder& b, uint32_t seed, size_t n, int minutes) {
  std::mt19937 rng(seed);
  std::vector<Event> out;
  for (size_t i = 0; i < n; ++i) {
    // Mostly advancing time with jitter back of up to 12 minutes: on-time, late, very late.
    const int base = static_cast<int>(i * minutes * 60 / n);
    const int back = rng() % 10 == 0 ? static_cast<int>(rng() % 720) : static_cast<int>(rng() % 10);
    const int64_t t = at(0, std::max(0, base - back), static_cast<int>(rng() % 3));
    const bool dup_click = rng() % 4 == 0;
    out.push_back(b.make("ad" + std::to_string(rng() % 7), t, "user " + std::to_string(rng() % 3),
                         dup_click ? "c" + std::to_string(rng() % 50) : "", static_cast<uint8_t>(rng() % 2)));
  }
  return out;
}

EngineConfig config(unsigned threads) {
  EngineConfig c;
  c.threads = threads;
  c.topn_windows = {1, 5};
  c.top_n = 3;
  return c;
}

TEST(EngineState, RestoreResumesExactlyWithAnotherThreadCount) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    EventBuilder b;
    const auto events = random_stream(b, seed, 3000, 40);
    RecordingSink whole;
    auto ref = make_cpu_engine(config(1));
    for (size_t i = 0; i < events.size(); i += 100)
      ref->process(0, std::span(events).subspan(i, std::min<size_t>(100, events.size() - i)), 0, whole);
    ref->finish(whole);

    RecordingSink split;
    auto first = make_cpu_engine(config(3));
    const size_t cut = 1000 + seed * 50;
    for (size_t i = 0; i < cut; i += 100) first->process(0, std::span(events).subspan(i, std::min<size_t>(100, cut - i)), 0, split);
    std::stringstream snap;
    first->save_state(snap);
    first.reset();
    auto second = make_cpu_engine(config(2));
    second->restore_state(snap);
    for (size_t i = cut; i < events.size(); i += 100)
      second->process(0, std::span(events).subspan(i, std::min<size_t>(100, events.size() - i)), 0, split);
    second->finish(split);

    ASSERT_EQ(split.final_windows.size(), whole.final_windows.size()) << "seed " << seed;
    for (const auto& [m, w] : whole.final_windows) EXPECT_EQ(named_rows(split.final_windows.at(m)), named_rows(w)) << "seed " << seed;
    ASSERT_EQ(split.final_lists.size(), whole.final_lists.size()) << "seed " << seed;
    for (const auto& [k, l] : whole.final_lists) EXPECT_EQ(named_entries(split.final_lists.at(k)), named_entries(l));
    const EngineStats a = whole.final_windows.empty() ? EngineStats{} : ref->stats();
    const EngineStats c = second->stats();
    EXPECT_EQ(a.counted, c.counted);
    EXPECT_EQ(a.duplicates, c.duplicates);
    EXPECT_EQ(a.dropped_late, c.dropped_late);
    EXPECT_EQ(a.late_counted, c.late_counted);
  }
}

TEST(EngineState, RestoreRejectsAnotherFilterSetAndGarbage) {
  auto e = make_cpu_engine(config(1));
  std::stringstream snap;
  e->save_state(snap);
  EngineConfig other = config(1);
  FilterDef f;
  f.id = 3;
  other.filters = FilterSet({f});
  auto e2 = make_cpu_engine(other);
  EXPECT_THROW(e2->restore_state(snap), std::runtime_error);
  std::stringstream garbage("not a snapshot at all");
  EXPECT_THROW(e->restore_state(garbage), std::runtime_error);
  std::string truncated = snap.str().substr(0, snap.str().size() / 2);
  std::stringstream t(truncated);
  EXPECT_THROW(e->restore_state(t), std::runtime_error);
}

TEST(EngineState, StateIsBoundedByRetainedWindowsNotStreamLength) {
  auto size_after = [](int minutes) {
    EventBuilder b;
    auto e = make_cpu_engine(config(2));
    RecordingSink sink;
    std::vector<Event> batch;
    for (int m = 0; m < minutes; ++m) {
      batch.clear();
      for (int i = 0; i < 200; ++i) batch.push_back(b.make("ad" + std::to_string(i % 50), at(m, i % 60), "u" + std::to_string(i)));
      e->process(0, batch, 0, sink);
    }
    std::stringstream snap;
    e->save_state(snap);
    return snap.str().size();
  };
  const size_t hour = size_after(60);
  const size_t four_hours = size_after(240);
  // Same retained windows (10 min lateness + the current one) either way.
  EXPECT_LT(four_hours, hour * 11 / 10);
  EXPECT_GT(four_hours, hour * 9 / 10);
}

}  // namespace
}  // namespace clickagg
