// The generated workload through the CPU engine: each kind of record has the outcome it was
// built for, so the engine's statistics equal the generator's own tally.
#include <algorithm>
#include <map>
#include <span>

#include <gtest/gtest.h>

#include "host/engine/engine.h"
#include "host/gen/event_set.h"
#include "tests/unit/gen/gen_test_util.h"

namespace clickagg::gen {
namespace {

struct NullSink : ResultSink {
  void on_window(const WindowResult&) override {}
  void on_topn(const TopNList&) override {}
  void on_late(const LateRecord&) override {}
};

TEST(EngineOutcome, StatisticsMatchTheGeneratedKinds) {
  for (double click_ids : {0.0, 0.5, 1.0}) {
    SCOPED_TRACE(click_ids);
    GenConfig config = testing::disordered(100'000, 41);
    config.click_id_fraction = click_ids;
    const EventSet set = generate_event_set(config);
    std::map<RecordKind, uint64_t> n;
    for (RecordKind k : set.kinds) ++n[k];

    EngineConfig ec;
    ec.threads = 2;
    auto engine = make_cpu_engine(ec);
    NullSink sink;
    const std::span<const Event> all(set.events);
    for (size_t i = 0; i < all.size(); i += 4'096)
      engine->process(0, all.subspan(i, std::min<size_t>(4'096, all.size() - i)), 0, sink);
    engine->finish(sink);

    const EngineStats s = engine->stats();
    EXPECT_EQ(s.events, set.events.size());
    EXPECT_EQ(s.duplicates, n[RecordKind::Duplicate]);
    EXPECT_EQ(s.dropped_late, n[RecordKind::VeryLate]);
    EXPECT_EQ(s.late_counted, n[RecordKind::Late]);
    EXPECT_EQ(s.counted, n[RecordKind::Normal] + n[RecordKind::OutOfOrder] + n[RecordKind::Late]);
  }
}

}  // namespace
}  // namespace clickagg::gen
