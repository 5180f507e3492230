#include "host/ops/replay.h"

#include <gtest/gtest.h>

#include <deque>

#include "host/common/country.h"
#include "host/common/ip.h"
#include "tests/unit/ops/ops_test_support.h"

namespace clickagg::ops {
namespace {

using opstest::Counts;
using testing::BackendTest;
constexpr int64_t kT0 = proptest::kT0;
constexpr int64_t kM0 = kT0 / 60'000;

using ListKey = std::tuple<int64_t, uint32_t, uint16_t>;
using Lists = std::map<ListKey, std::vector<NamedEntry>>;

std::vector<std::string> fields(const std::string& row) {
  std::vector<std::string> f;
  size_t at = 0;
  for (size_t bar; (bar = row.find('|', at)) != std::string::npos; at = bar + 1) f.push_back(row.substr(at, bar - at));
  return f;
}

// Every stored list (empty ones too), read with plain SQL.
Lists table_lists(testing::StoreBackend& b) {
  Lists out;
  for (const std::string& row : b.rows("SELECT minute, \"window\", filter_id FROM topn_lists")) {
    const auto f = fields(row);
    out[{std::stoll(f[0]), std::stoul(f[1]), static_cast<uint16_t>(std::stoi(f[2]))}];
  }
  std::map<std::pair<ListKey, int64_t>, NamedEntry> ranked;
  for (const std::string& row : b.rows("SELECT minute, \"window\", filter_id, rank, ad_id, count FROM topn")) {
    const auto f = fields(row);
    ranked[{{std::stoll(f[0]), std::stoul(f[1]), static_cast<uint16_t>(std::stoi(f[2]))}, std::stoll(f[3])}] =
        NamedEntry{f[4], std::stoull(f[5])};
  }
  for (const auto& [key, e] : ranked) out[key.first].push_back(e);
  return out;
}

class Events {
 public:
  void add(std::string ad, int64_t t_ms, const char* country) {
    Event e;
    e.ad_id = strings_.emplace_back(std::move(ad));
    e.user_id = strings_.emplace_back("user " + std::to_string(list.size()));
    e.t_ms = t_ms;
    parse_ip("10.0.0.1", e.ip);
    normalize_country(country, e.country);
    list.push_back(e);
  }
  std::vector<Event> list;

 private:
  std::deque<std::string> strings_;
};

class ReplayTest : public BackendTest {};

TEST_P(ReplayTest, HandComputedMinutesAndLists) {
  auto db = writer();
  // What the streaming path stored: minute 0 lacks a late event, minute 1 holds counts the
  // raw events do not support; minutes -1 and 3 lie outside the replayed range.
  store::ResultBatch live;
  live.top_n = 2;
  live.windows = testing_support::windows_of({{kM0 - 1, false, {{"x", 0, 7}}},
                             {kM0, false, {{"a", 0, 1}}},
                             {kM0 + 1, false, {{"b", 0, 5}, {"b", 7, 5}}},
                             {kM0 + 2, false, {{"c", 0, 1}}},
                             {kM0 + 3, false, {{"y", 0, 2}}}});
  live.topn = {make_list(kM0 + 3, 1, 0, false, {{"y", 2}}), make_list(kM0 + 3, 2, 0, false, {{"y", 2}, {"b", 1}}),
               make_list(kM0 + 1, 1, 7, false, {{"b", 5}})};
  db->write(live);

  Events ev;
  ev.add("x", kT0 - 30'000, "GB");  // outside the range: the stored 7 stays
  ev.add("a", kT0 + 1'000, "GB");
  ev.add("a", kT0 + 2'000, "GB");
  ev.add("c", kT0 + 121'000, "JP");
  ev.add("d", kT0 + 122'000, "US");
  ev.add("y", kT0 + 185'000, "US");
  opstest::VectorSource src(ev.list, 3);
  FilterDef us{7, "us", {}, {}, {}};
  normalize_country("US", us.countries.emplace_back());

  ReplayOptions opt;
  opt.range = {kM0, kM0 + 3};
  opt.top_n = 2;
  opt.topn_windows = {1, 2};
  opt.recount.filters = FilterSet({us});
  opt.recount.threads = 2;
  opt.chunk_minutes = 2;  // two transactions: [0, 2) and [2, 3)
  std::vector<MinuteRange> chunks;
  const ReplayReport r = replay(src, *db, opt, [&](const ReplayChunk& c) { chunks.push_back(c.range); });

  EXPECT_EQ(r.chunks, 2u);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1].from_minute, kM0 + 2);
  EXPECT_EQ(r.minutes, 3u);
  EXPECT_EQ(r.recount.counted, 4u);
  const Counts want{{{kM0 - 1, 0, "x"}, 7}, {{kM0, 0, "a"}, 2},     {{kM0 + 2, 0, "c"}, 1},
                    {{kM0 + 2, 0, "d"}, 1}, {{kM0 + 2, 7, "d"}, 1}, {{kM0 + 3, 0, "y"}, 2}};
  EXPECT_EQ(opstest::table_counts(*backend), want);

  const Lists lists = table_lists(*backend);
  using E = std::vector<NamedEntry>;
  const Lists want_lists{
      {{kM0, 1, 0}, E{{"a", 2}}},           {{kM0, 2, 0}, E{{"x", 7}, {"a", 2}}},
      // Empty lists only where that list was stored (to clear it):
      {{kM0 + 1, 2, 0}, E{{"a", 2}}},       {{kM0 + 1, 1, 7}, E{}},
      {{kM0 + 2, 1, 0}, E{{"c", 1}, {"d", 1}}}, {{kM0 + 2, 2, 0}, E{{"c", 1}, {"d", 1}}},
      {{kM0 + 2, 1, 7}, E{{"d", 1}}},       {{kM0 + 2, 2, 7}, E{{"d", 1}}},
      // After the range, only the lists reaching into it, up to the last closed minute:
      {{kM0 + 3, 1, 0}, E{{"y", 2}}},  // untouched
      {{kM0 + 3, 2, 0}, E{{"y", 2}, {"c", 1}}}, {{kM0 + 3, 2, 7}, E{{"d", 1}}},
  };
  EXPECT_EQ(lists, want_lists);
  EXPECT_EQ(r.lists, 10u);
  const auto stored = db->topn_list(kM0 + 2, 1, 0);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->top_n, 2u);
  EXPECT_EQ(db->progress().last_closed_minute, kM0 + 3);  // a replay closes nothing

  // Running it again changes nothing at all.
  const auto before = opstest::dump(*backend);
  replay(src, *db, opt);
  EXPECT_EQ(opstest::dump(*backend), before);
}

TEST_P(ReplayTest, NoListsPastTheLastClosedMinute) {
  auto db = writer();
  Events ev;
  ev.add("a", kT0, "US");
  opstest::VectorSource src(ev.list, 1);
  ReplayOptions opt;
  opt.range = {kM0, kM0 + 1};
  opt.topn_windows = {1, 5};
  replay(src, *db, opt);  // an empty store: nothing has closed
  const Lists lists = table_lists(*backend);
  EXPECT_EQ(lists.size(), 2u);  // (0, 1, 0) and (0, 5, 0) only
  EXPECT_FALSE(db->progress().last_closed_minute);
}

// Random streams through a live engine into the store, then a replay of a random range in
// random chunks: the range holds the reference recount, everything else is as before, every
// list that ranks replayed minutes is the brute-force ranking of the stored counts, and a
// second replay leaves every table identical.
TEST_P(ReplayTest, MatchesReferenceOnRandomStreams) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::string skip;
    std::unique_ptr<testing::StoreBackend> be = testing::make_store_backend(GetParam(), &skip);
    auto db = store::open_store(be->location(), store::OpenMode::Writer);
    const opstest::Scenario s = proptest::make_scenario(seed, seed % 2 ? proptest::Shape::Mixed : proptest::Shape::DuplicateHeavy);
    std::string err;
    const std::vector<Event> events = proptest::engine_events(s, err);
    ASSERT_TRUE(err.empty()) << err;
    opstest::live_run(s, events, *db);
    const Counts counts_before = opstest::table_counts(*be);
    const Lists lists_before = table_lists(*be);
    const auto last_closed = db->progress().last_closed_minute;

    opstest::Rng rng(seed * 7);
    auto [lo, hi] = opstest::minute_span(s);
    const int64_t from = lo + rng.between(-2, (hi - lo) / 2);
    const int64_t to = std::max(from + 1, hi - rng.between(-2, (hi - lo) / 2));
    ReplayOptions opt;
    opt.range = {from, to};
    opt.top_n = s.top_n;
    opt.topn_windows = s.windows;
    opt.recount.filters = proptest::engine_config(s, 1).filters;
    opt.recount.threads = 2;
    opt.chunk_minutes = rng.between(1, 8);
    opstest::VectorSource src(events, seed, opstest::partitions_of(s));
    replay(src, *db, opt);

    const Counts after = opstest::table_counts(*be);
    EXPECT_EQ(opstest::slice(after, from, to, true), opstest::reference_recount(s, from, to));
    EXPECT_EQ(opstest::slice(after, from, to, false), opstest::slice(counts_before, from, to, false));

    const uint32_t max_w = *std::max_element(s.windows.begin(), s.windows.end());
    const int64_t trail_end = last_closed ? std::clamp<int64_t>(*last_closed + 1, to, to + max_w - 1) : to;
    const Lists lists = table_lists(*be);
    auto replayed = [&](int64_t e, uint32_t w) { return e >= from && e < trail_end && e - int64_t{w} + 1 < to; };
    for (int64_t e = from; e < trail_end; ++e)
      for (uint32_t w : s.windows)
        for (uint16_t f : opstest::filter_ids(s)) {
          if (!replayed(e, w)) continue;
          // An empty list may be absent (nothing stored to clear).
          auto it = lists.find({e, w, f});
          const std::vector<NamedEntry> got = it == lists.end() ? std::vector<NamedEntry>{} : it->second;
          EXPECT_EQ(got, opstest::brute_top(after, e, w, f, s.top_n)) << "list " << e << "/" << w << "/" << f;
        }
    for (const auto& [key, entries] : lists)
      if (!replayed(std::get<0>(key), std::get<1>(key))) {
        auto it = lists_before.find(key);
        ASSERT_NE(it, lists_before.end()) << "a list outside the replay appeared";
        EXPECT_EQ(entries, it->second);
      } else if (entries.empty()) {
        // An empty list is written only to clear a stored one.
        EXPECT_TRUE(lists_before.count(key)) << "empty list " << std::get<0>(key) << "/" << std::get<1>(key);
      }
    EXPECT_EQ(db->progress().last_closed_minute, last_closed);

    const auto first = opstest::dump(*be);
    opt.chunk_minutes = rng.between(1, 8);  // other chunks, the same result
    replay(src, *db, opt);
    EXPECT_EQ(opstest::dump(*be), first);
    db.reset();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ReplayTest, ::testing::Values("sqlite", "postgresql"), testing::backend_name);

}  // namespace
}  // namespace clickagg::ops
