#include "host/engines/engines.h"
#include "host/ops/recount.h"

#include <gtest/gtest.h>

#include <deque>

#include "host/common/country.h"
#include "host/common/ip.h"
#include "tests/support/gpu_required.h"
#include "tests/unit/ops/ops_test_support.h"

namespace clickagg::ops {
namespace {

using opstest::Counts;
constexpr int64_t kT0 = proptest::kT0;  // 2021-01-01 00:00:00 UTC
constexpr int64_t kM0 = kT0 / 60'000;

// Events with owned strings.
class Events {
 public:
  Events& add(std::string ad, int64_t t_ms, std::string user, const char* ip, const char* country,
              std::string click = "") {
    Event e;
    e.ad_id = keep(std::move(ad));
    e.user_id = keep(std::move(user));
    e.click_id = keep(std::move(click));
    e.t_ms = t_ms;
    EXPECT_TRUE(parse_ip(ip, e.ip));
    EXPECT_TRUE(normalize_country(country, e.country));
    e.position = list.size();
    list.push_back(e);
    return *this;
  }
  std::vector<Event> list;

 private:
  std::string_view keep(std::string s) { return strings_.emplace_back(std::move(s)); }
  std::deque<std::string> strings_;
};

Counts counts_of(const Recount& r) {
  Counts out;
  for (const auto& [m, rows] : r.minutes)
    for (const NamedRow& row : rows) out[{m, row.filter_id, row.ad_id}] = row.count;
  return out;
}

FilterSet us_filter() {
  FilterDef f;
  f.id = 7;
  Country us;
  normalize_country("US", us);
  f.countries.push_back(us);
  return FilterSet({f});
}

TEST(Recount, HandComputedTable) {
  Events ev;
  ev.add("a", kT0 + 10'000, "u1", "1.2.3.4", "US", "c1")
      .add("a", kT0 + 20'000, "u2", "1.2.3.5", "GB", "c1")        // same click_id, same minute: duplicate
      .add("b", kT0 + 65'000, "u 3", "2001:db8::1", "usa")        // no click_id: the tuple is the key
      .add("b", kT0 + 65'000, "u 3", "2001:DB8:0::1", "USA")      // the same tuple spelled otherwise
      .add("b", kT0 + 65'001, "u 3", "2001:db8::1", "US")         // one millisecond apart: counts
      .add("a", kT0 + 3 * 3'600'000, "u1", "1.2.3.4", "US")       // three hours later
      .add("c", kT0 + 150'000, "u4", "9.9.9.9", "JP")             // arrives after it: very late
      .add("a", kT0 + 120'000, "u1", "1.2.3.4", "GB", "c1")       // the click_id again, another minute
      .add("z", kT0 - 1, "u9", "9.9.9.9", "US");                  // before the range
  RecountConfig cfg;
  cfg.filters = us_filter();
  cfg.threads = 2;
  opstest::VectorSource src(ev.list, 1);
  const Recount r = recount(src, MinuteRange{kM0, kM0 + 181}, cfg);
  const Counts want{
      {{kM0, 0, "a"}, 1},       {{kM0, 7, "a"}, 1},
      {{kM0 + 1, 0, "b"}, 2},   {{kM0 + 1, 7, "b"}, 2},
      {{kM0 + 2, 0, "a"}, 1},   {{kM0 + 2, 0, "c"}, 1},
      {{kM0 + 180, 0, "a"}, 1}, {{kM0 + 180, 7, "a"}, 1},
  };
  EXPECT_EQ(counts_of(r), want);
  EXPECT_EQ(r.stats.events, 8u);
  EXPECT_EQ(r.stats.duplicates, 2u);
  EXPECT_EQ(r.stats.counted, 6u);
  EXPECT_EQ(src.reads, 1);
}

// A click_id reused with other fields: the first in (partition, offset) order decides.
TEST(Recount, FirstOfAKeyByPartitionThenOffset) {
  Events ev;
  ev.add("a", kT0 + 5'000, "u1", "1.2.3.4", "US", "c9")   // partition 1
      .add("a", kT0 + 9'000, "u1", "1.2.3.4", "GB", "c9")  // partition 0: read first
      .add("a", kT0 + 7'000, "u1", "1.2.3.4", "US", "c9"); // partition 0, later offset
  RecountConfig cfg;
  cfg.filters = us_filter();
  opstest::VectorSource src(ev.list, 1, {1, 0, 0});
  const Recount r = recount(src, MinuteRange{kM0, kM0 + 1}, cfg);
  EXPECT_EQ(counts_of(r), (Counts{{{kM0, 0, "a"}, 1}}));  // GB: no filter 7
  EXPECT_EQ(r.stats.duplicates, 2u);
}

TEST(Recount, EmptyRangeAndNoEvents) {
  opstest::VectorSource src({}, 1);
  EXPECT_TRUE(recount(src, MinuteRange{kM0, kM0}, {}).minutes.empty());
  EXPECT_EQ(src.reads, 0);
  const Recount r = recount(src, MinuteRange{kM0, kM0 + 10}, {});
  EXPECT_TRUE(r.minutes.empty());
  EXPECT_EQ(r.stats.events, 0u);
}

// However the events are batched and the range is cut into pieces, the recount is the
// reference model's count with no watermark.
void check_random_streams(EngineKind kind) {
  int failures = 0;
  for (uint64_t seed = 1; seed <= 40 && failures < 3; ++seed) {
    for (proptest::Shape shape : {proptest::Shape::Mixed, proptest::Shape::DuplicateHeavy}) {
      const opstest::Scenario s = proptest::make_scenario(seed, shape);
      std::string err;
      const std::vector<Event> events = proptest::engine_events(s, err);
      ASSERT_TRUE(err.empty()) << err;
      opstest::Rng rng(seed);
      auto [lo, hi] = opstest::minute_span(s);
      const int64_t from = lo + rng.between(-1, (hi - lo) / 3);
      const int64_t to = hi - rng.between(-1, (hi - lo) / 3);
      if (from >= to) continue;
      const int64_t cut = from + rng.between(0, to - from);
      RecountConfig cfg;
      cfg.filters = proptest::engine_config(s, 1).filters;
      cfg.threads = static_cast<unsigned>(rng.between(1, 3));
      cfg.engine = kind;
      opstest::VectorSource src(events, seed, opstest::partitions_of(s));
      const Counts want = opstest::reference_recount(s, from, to);
      const Recount whole = recount(src, MinuteRange{from, to}, cfg);
      Counts pieces = counts_of(recount(src, MinuteRange{from, cut}, cfg));
      for (const auto& [k, v] : counts_of(recount(src, MinuteRange{cut, to}, cfg))) pieces[k] = v;
      if (counts_of(whole) != want || pieces != want) {
        ADD_FAILURE() << s.describe() << ", range [" << from << ", " << to << "), cut " << cut;
        ++failures;
      }
      uint64_t in_range = 0;
      for (const auto& e : s.events)
        in_range += ref::minute_of(e.canonical.t_ms) >= from && ref::minute_of(e.canonical.t_ms) < to;
      EXPECT_EQ(whole.stats.events, in_range);
      EXPECT_EQ(whole.stats.counted + whole.stats.duplicates, in_range);
    }
  }
}

TEST(Recount, MatchesReferenceWithoutWatermarkOnRandomStreams) { check_random_streams(EngineKind::Cpu); }

// The same through the GPU engine, where there is one.
TEST(Recount, GpuEngineMatchesReference) {
  CLICKAGG_NEEDS_GPU();
  check_random_streams(EngineKind::Gpu);
}

// And through its device algorithm on the host, everywhere.
TEST(Recount, GpuPortableEngineMatchesReference) {
#if !defined(CLICKAGG_HAVE_GPU_PORTABLE)
  GTEST_SKIP() << "built without the portable GPU engine";
#endif
  check_random_streams(EngineKind::GpuPortable);
}

}  // namespace
}  // namespace clickagg::ops
