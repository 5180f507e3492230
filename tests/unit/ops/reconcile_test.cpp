#include "host/ops/reconcile.h"

#include <gtest/gtest.h>

#include <deque>

#include "host/common/country.h"
#include "host/common/ip.h"
#include "host/ops/replay.h"
#include "tests/unit/ops/ops_test_support.h"

namespace clickagg::ops {
namespace {

using opstest::Counts;
using testing::BackendTest;
constexpr int64_t kT0 = proptest::kT0;
constexpr int64_t kM0 = kT0 / 60'000;

// Both directions of a difference, by brute force: every group either side has, unequal.
std::vector<Mismatch> brute_diff(const Counts& stored, const Counts& truth) {
  std::vector<Mismatch> out;
  std::set<Counts::key_type> keys;
  for (const auto& [k, v] : stored) keys.insert(k);
  for (const auto& [k, v] : truth) keys.insert(k);
  for (const auto& k : keys) {
    const uint64_t a = stored.count(k) ? stored.at(k) : 0, b = truth.count(k) ? truth.at(k) : 0;
    if (a != b) out.push_back(Mismatch{std::get<0>(k), std::get<1>(k), std::get<2>(k), a, b});
  }
  return out;
}

class ReconcileTest : public BackendTest {};

TEST_P(ReconcileTest, HandComputedMismatchesBothWays) {
  auto db = writer();
  store::ResultBatch b;
  b.windows = testing_support::windows_of({{kM0, false, {{"a", 0, 2}, {"a", 7, 1}}},
               {kM0 + 1, false, {{"b", 0, 3}}},
               {kM0 + 3, false, {{"y", 0, 1}, {"z", 99, 4}}},
               {kM0 + 4, false, {{"out", 0, 9}}}});  // outside the checked range
  db->write(b);

  std::deque<std::string> strings;
  std::vector<Event> events;
  auto add = [&](const char* ad, int64_t t, const char* country) {
    Event e;
    e.ad_id = ad;
    e.user_id = strings.emplace_back("u" + std::to_string(events.size()));
    e.t_ms = t;
    parse_ip("10.0.0.1", e.ip);
    normalize_country(country, e.country);
    events.push_back(e);
  };
  add("a", kT0 + 1, "US");
  add("a", kT0 + 2, "US");
  add("c", kT0 + 120'000, "JP");
  add("y", kT0 + 180'000, "JP");
  add("late", kT0 + 300'000, "JP");  // outside the range
  FilterDef us{7, "us", {}, {}, {}};
  normalize_country("US", us.countries.emplace_back());

  for (int64_t chunk : {1, 2, 60}) {
    opstest::VectorSource src(events, static_cast<uint64_t>(chunk));
    ReconcileOptions opt;
    opt.range = {kM0, kM0 + 4};
    opt.recount.filters = FilterSet({us});
    opt.chunk_minutes = chunk;
    const ReconcileReport r = reconcile(src, *db, opt);
    EXPECT_EQ(r.groups_checked, 6u);
    EXPECT_EQ(r.matched, 2u);
    EXPECT_EQ(r.recount.events, 4u);
    const std::vector<Mismatch> want{{kM0, 7, "a", 1, 2},
                                     {kM0 + 1, 0, "b", 3, 0},
                                     {kM0 + 2, 0, "c", 0, 1},
                                     {kM0 + 3, 99, "z", 4, 0}};
    EXPECT_EQ(r.mismatches, want) << "chunk " << chunk;
    EXPECT_FALSE(r.clean());

    db->record_reconcile(status_of(r, 1234));
    const auto st = db->last_reconcile();
    ASSERT_TRUE(st);
    EXPECT_EQ(*st, (store::ReconcileStatus{1234, kM0, kM0 + 4, 6, 4}));
  }
}

TEST_P(ReconcileTest, EmptyStoreAndNoEventsIsClean) {
  auto db = writer();
  opstest::VectorSource src({}, 1);
  ReconcileOptions opt;
  opt.range = {kM0, kM0 + 1440};
  const ReconcileReport r = reconcile(src, *db, opt);
  EXPECT_TRUE(r.clean());
  EXPECT_EQ(r.groups_checked, 0u);
}

// A live run stores what the watermark let through; some stored rows are then changed on
// purpose. Reconcile must report exactly the brute-force difference between the stored
// table and the reference recount; after a replay of the range it must find nothing.
TEST_P(ReconcileTest, ReportsExactlyTheDifferenceOnRandomStreams) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::string skip;
    std::unique_ptr<testing::StoreBackend> be = testing::make_store_backend(GetParam(), &skip);
    auto db = store::open_store(be->location(), store::OpenMode::Writer);
    const opstest::Scenario s = proptest::make_scenario(seed, proptest::Shape::Mixed);
    std::string err;
    const std::vector<Event> events = proptest::engine_events(s, err);
    ASSERT_TRUE(err.empty()) << err;
    opstest::live_run(s, events, *db);

    opstest::Rng rng(seed * 13);
    auto [lo, hi] = opstest::minute_span(s);
    // Corrupt one stored minute: a count off by one, a row gone, a row no event supports.
    const std::vector<WindowResult> stored = db->count_rows(lo, hi);
    if (!stored.empty()) {
      const WindowResult& picked = stored[rng.below(stored.size())];
      std::vector<NamedRow> rows = named_rows(picked);
      rows[rng.below(rows.size())].count += 1;
      if (rows.size() > 1) rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(rng.below(rows.size())));
      rows.push_back({"bogus ad", 0, 3});
      store::ResultBatch b;
      b.windows.push_back(make_window(picked.minute, rows, /*correction=*/true));
      db->write(b);
    }

    ReconcileOptions opt;
    opt.range = MinuteRange{lo - 1, hi + 1};
    opt.recount.filters = proptest::engine_config(s, 1).filters;
    opt.recount.threads = 2;
    opt.chunk_minutes = rng.between(1, 10);
    opstest::VectorSource src(events, seed, opstest::partitions_of(s));
    const Counts table = opstest::slice(opstest::table_counts(*be), lo - 1, hi + 1, true);
    const Counts truth = opstest::reference_recount(s, lo - 1, hi + 1);
    const ReconcileReport r = reconcile(src, *db, opt);
    const std::vector<Mismatch> want = brute_diff(table, truth);
    EXPECT_EQ(r.mismatches, want);
    std::set<Counts::key_type> keys;
    for (const auto& [k, v] : table) keys.insert(k);
    for (const auto& [k, v] : truth) keys.insert(k);
    EXPECT_EQ(r.groups_checked, keys.size());
    EXPECT_EQ(r.matched + r.mismatches.size(), r.groups_checked);
    if (!stored.empty()) {
      EXPECT_FALSE(want.empty());
    }

    ReplayOptions ro;
    ro.range = opt.range;
    ro.top_n = s.top_n;
    ro.topn_windows = s.windows;
    ro.recount = opt.recount;
    replay(src, *db, ro);
    EXPECT_TRUE(reconcile(src, *db, opt).clean());
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ReconcileTest, ::testing::Values("sqlite", "postgresql"), testing::backend_name);

}  // namespace
}  // namespace clickagg::ops
