// Shares of each record kind, and where disordered records land relative to the watermark.
#include <cmath>
#include <map>
#include <unordered_map>

#include <gtest/gtest.h>

#include "host/common/time_util.h"
#include "tests/unit/gen/gen_test_util.h"

namespace clickagg::gen {
namespace {

TEST(Disorder, MeasuredSharesMatchConfiguredOnes) {
  const GenConfig c = testing::disordered(200'000, 23);
  std::map<RecordKind, double> n;
  for (const GenEvent& ev : testing::collect(c)) ++n[ev.kind];
  const double total = static_cast<double>(c.count);
  const std::pair<RecordKind, double> want[] = {
      {RecordKind::OutOfOrder, c.out_of_order}, {RecordKind::Late, c.late},
      {RecordKind::VeryLate, c.very_late},      {RecordKind::Duplicate, c.duplicate},
      {RecordKind::Malformed, c.malformed}};
  for (auto [kind, share] : want) {
    const double sd = std::sqrt(share * (1 - share) / total);
    EXPECT_NEAR(n[kind] / total, share, 5 * sd + 1e-4) << kind_name(kind);
  }
}

TEST(Disorder, ClickIdAndIpv6Shares) {
  GenConfig c;
  c.count = 100'000;
  c.click_id_fraction = 0.3;
  c.ipv6_fraction = 0.25;
  double with_click = 0, v6 = 0;
  for (const GenEvent& ev : testing::collect(c)) {
    with_click += !ev.click_id.empty();
    v6 += !ev.ip.is_v4;
  }
  EXPECT_NEAR(with_click / 100'000, 0.3, 0.01);
  EXPECT_NEAR(v6 / 100'000, 0.25, 0.01);
}

TEST(Disorder, CleanStreamIsMonotoneAtTheEventTimeRate) {
  GenConfig c;
  c.count = 50'000;
  c.events_per_second = 2'500;  // 0.4 ms per record
  int64_t prev = INT64_MIN;
  for (const GenEvent& ev : testing::collect(c)) {
    ASSERT_EQ(ev.kind, RecordKind::Normal);
    ASSERT_EQ(ev.t_ms, c.start_ms + static_cast<int64_t>(std::floor(ev.seq * 0.4)));
    ASSERT_GE(ev.t_ms, prev);
    prev = ev.t_ms;
  }
}

// Replays the single-partition watermark (default 15 s delay, 10 min allowed lateness) and
// checks each record lands where its kind says.
TEST(Disorder, KindsLandWhereTheWatermarkSaysTheyShould) {
  const GenConfig c = testing::disordered(200'000, 31);
  const auto records = testing::collect(c);
  int64_t max_t = INT64_MIN;
  std::unordered_map<std::string, uint64_t> last_seen;  // log line -> record position
  std::string line;
  for (const GenEvent& ev : records) {
    line.clear();
    append_log_record(ev, line);
    const int64_t t = ev.t_ms;
    const int64_t w = max_t - kAssumedDelayMs;
    const int64_t end = window_end_ms(minute_of(t));
    switch (ev.kind) {
      case RecordKind::Normal:
        ASSERT_GE(t, max_t) << "record " << ev.seq;
        ASSERT_EQ(t, c.start_ms + static_cast<int64_t>(std::floor(ev.seq * 0.1)));
        break;
      case RecordKind::OutOfOrder:
        ASSERT_LT(t, max_t);
        ASSERT_GE(t, max_t - 14'000);
        ASSERT_LT(w, end) << "window must still be open";
        break;
      case RecordKind::Late:
        ASSERT_LE(t, max_t - 20'000);
        ASSERT_GE(t, max_t - 540'000);
        ASSERT_GE(w, end) << "window must be closed";
        ASSERT_LT(w, end + kAssumedLatenessMs) << "window must be retained";
        break;
      case RecordKind::VeryLate:
        ASSERT_GE(w, end + kAssumedLatenessMs) << "window must be purged";
        break;
      case RecordKind::Duplicate: {
        const auto it = last_seen.find(line);
        ASSERT_NE(it, last_seen.end()) << "record " << ev.seq << " repeats nothing";
        // Reach: about 3 s of arrivals (30,000 records at 10,000/s).
        ASSERT_LE(ev.seq - it->second, 60'000u);
        ASSERT_LT(w, end + kAssumedLatenessMs) << "the original's window is still retained";
        break;
      }
      case RecordKind::Malformed:
        break;
    }
    if (ev.kind == RecordKind::Normal) max_t = std::max(max_t, t);
    if (ev.kind != RecordKind::Malformed && ev.kind != RecordKind::Duplicate) {
      ASSERT_FALSE(last_seen.contains(line)) << "distinct events must differ: record " << ev.seq;
      last_seen[line] = ev.seq;
    }
  }
}

TEST(Disorder, ClickIdsAreUnique) {
  GenConfig c;
  c.count = 200'000;
  c.click_id_fraction = 1.0;
  std::unordered_map<std::string, int> ids;
  for (const GenEvent& ev : testing::collect(c)) ASSERT_TRUE(ids.emplace(ev.click_id, 0).second);
}

TEST(Disorder, HotAdIsNotTheFirstId) {
  GenConfig c;
  c.count = 100'000;
  std::unordered_map<std::string, int> hits;
  for (const GenEvent& ev : testing::collect(c)) ++hits[ev.ad_id];
  auto best = hits.begin();
  for (auto it = hits.begin(); it != hits.end(); ++it)
    if (it->second > best->second) best = it;
  EXPECT_NE(best->first, "ad0000000");
  EXPECT_GT(best->second, 100'000 / 20);  // the head of a 1.1 Zipf is about 12 %
}

}  // namespace
}  // namespace clickagg::gen
