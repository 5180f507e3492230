// CPU engine throughput on the design's workload: 2,000,000 ads with Zipf-skewed popularity,
// 4 filters, per-window dedup, in micro-batches of 1 M decoded events. items/s = events/s.
//   ./engine_bench --benchmark_filter=Engine --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>

#include "host/common/country.h"
#include "host/common/ip.h"
#include "host/common/malloc_tuning.h"
#include "host/engine/engine.h"
#include "host/engine/row_order.h"
#include "host/engine/thread_pool.h"
#include "host/gen/event_set.h"
#include "host/gen/field_text.h"

namespace clickagg {
namespace {

class NullSink final : public ResultSink {
 public:
  void on_window(const WindowResult& w) override { benchmark::DoNotOptimize(w.rows.size()); }
  void on_topn(const TopNList& t) override { benchmark::DoNotOptimize(t.entries.size()); }
  void on_late(const LateRecord&) override {}
};

Country country(const char* code) {
  Country c;
  normalize_country(code, c);
  return c;
}

FilterSet four_filters() {
  FilterDef us{12, "us", {country("US")}, {}, {}};
  FilterDef eu{14, "gb-de", {country("GB"), country("DE")}, {}, {}};
  FilterDef nets{20, "nets", {}, {*parse_cidr("10.0.0.0/8"), *parse_cidr("2001:db8::/32")}, {}};
  FilterDef users{30, "users", {}, {}, {"user 1", "user 7", "user 42"}};
  return FilterSet({us, eu, nets, users});
}

constexpr size_t kBatch = 1 << 20;

constexpr size_t kEvents = 4'000'000;  // about 7 minutes of event time

// The workload as the engine receives it: decoded batches of kBatch events in columns, built
// once (decoding and fingerprinting are not timed here; decode_bench times them).
const std::vector<EventColumns>& workload(double zipf, size_t count = kEvents) {
  static std::map<std::pair<double, size_t>, std::vector<EventColumns>> cache;
  auto it = cache.find({zipf, count});
  if (it == cache.end()) {
    gen::GenConfig cfg;
    cfg.seed = 42;
    cfg.count = count;
    cfg.ads = 2'000'000;
    cfg.zipf = zipf;
    cfg.events_per_second = 10'000;
    cfg.out_of_order = 0.05;
    cfg.duplicate = 0.02;
    const gen::EventSet set = gen::generate_event_set(cfg);
    std::vector<EventColumns> batches;
    const std::span<const Event> all(set.events);
    for (size_t i = 0; i < all.size(); i += kBatch) batches.push_back(columns_of(all.subspan(i, std::min(kBatch, all.size() - i))));
    it = cache.emplace(std::make_pair(zipf, count), std::move(batches)).first;
  }
  return it->second;
}

// Every ad of the workload once, three hours of event time before it, then one event an hour
// later and one more an hour after that: an engine fed these has all 2 M names in its
// dictionary, has emitted and purged those minutes (so its tables come back from reuse) and
// holds nothing in its running sums that the workload's first minutes would take off. What a
// long-running engine looks like when the workload starts. The names come in the order the
// workload first shows them, then those it never shows: a long-running engine met the
// popular ads first too, and its dictionary keeps them together at low indexes.
const std::vector<EventColumns>& warm_up_batches(double zipf) {
  static std::map<double, std::vector<EventColumns>> cache;
  auto it = cache.find(zipf);
  if (it != cache.end()) return it->second;
  const gen::GenConfig cfg;
  constexpr int64_t kHour = 3'600'000;
  constexpr size_t kAds = 2'000'000;
  std::vector<std::string> names;
  names.reserve(kAds);
  std::unordered_set<std::string> seen;
  for (const EventColumns& b : workload(zipf))
    for (size_t i = 0; i < b.size(); ++i)
      if (std::string ad(b.ad_id(i)); seen.insert(ad).second) names.push_back(std::move(ad));
  std::string ad;
  for (size_t a = 0; a < kAds; ++a) {
    gen::assign_ad_id(ad, a, 7);
    if (!seen.count(ad)) names.push_back(ad);
  }
  std::vector<Event> events(names.size());
  for (size_t a = 0; a < names.size(); ++a) {
    Event& e = events[a];
    e.ad_id = names[a];
    e.user_id = "user 1";
    e.t_ms = cfg.start_ms - 3 * kHour + static_cast<int64_t>(a % 60'000);
    parse_ip("192.0.2.1", e.ip);
    e.country = country("US");
    e.position = a;
  }
  std::vector<EventColumns> out;
  const std::span<const Event> all(events);
  for (size_t i = 0; i < all.size(); i += kBatch) out.push_back(columns_of(all.subspan(i, std::min(kBatch, all.size() - i))));
  for (int64_t h : {2, 1}) {
    Event e = events[0];
    e.t_ms = cfg.start_ms - h * kHour;
    out.push_back(columns_of(std::span<const Event>(&e, 1)));
  }
  return cache.emplace(zipf, std::move(out)).first->second;
}

// Times `count` events of the workload through a CPU engine: a new one, or when `warm` one that
// has first seen warm_up_batches(), untimed.
void run_engine(benchmark::State& state, double zipf, unsigned threads, bool long_windows, bool warm, size_t count) {
  const auto& batches = workload(zipf, count);
  size_t events = 0;
  for (const auto& b : batches) events += b.size();
  EngineConfig cfg;
  cfg.filters = four_filters();
  cfg.threads = threads;
  cfg.topn_windows = long_windows ? std::vector<uint32_t>{1, 5, 60} : std::vector<uint32_t>{1};
  // One untimed run first: a long-running engine takes a new minute's tables from memory the
  // minutes before it gave back (flat_tables.cpp), not fresh from the kernel.
  {
    auto engine = make_cpu_engine(cfg);
    NullSink sink;
    for (const EventColumns& b : batches) engine->process(0, b, 0, sink);
    engine->finish(sink);
  }
  std::map<std::string, double> stages, before;
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = make_cpu_engine(cfg);
    NullSink sink;
    before.clear();
    if (warm) {
      for (const EventColumns& b : warm_up_batches(zipf)) engine->process(0, b, 0, sink);
      for (const auto& [stage, secs] : engine->stage_seconds()) before[stage] = secs;
    }
    state.ResumeTiming();
    for (const EventColumns& b : batches) engine->process(0, b, 0, sink);
    engine->finish(sink);
    benchmark::DoNotOptimize(engine->stats().counted);
    state.PauseTiming();
    for (const auto& [stage, secs] : engine->stage_seconds()) stages[stage] += secs - before[stage];
    engine.reset();  // freeing the tables is not the engine's work per event
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events));
  state.counters["events"] = static_cast<double>(events);  // per run (engine_instructions.py)
  // Nanoseconds per event in each stage (wall clock of the stage, all threads together).
  for (const auto& [stage, secs] : stages)
    state.counters["ns_" + stage] = secs * 1e9 / static_cast<double>(state.iterations() * events);
  state.counters["threads"] = threads;
  state.counters["windows"] = static_cast<double>(cfg.topn_windows.size());
}
// Args: zipf x10, threads, top-N windows (0: {1}, 1: {1, 5, 60}), warm (0: a new engine, 1: a
// warm one).
void BM_CpuEngine(benchmark::State& state) {
  run_engine(state, static_cast<double>(state.range(0)) / 10.0, static_cast<unsigned>(state.range(1)),
             state.range(2) != 0, state.range(3) != 0, kEvents);
}
BENCHMARK(BM_CpuEngine)
    ->Args({11, 1, 0, 0})->Args({11, 2, 0, 0})->Args({0, 1, 0, 0})->Args({15, 1, 0, 0})->Args({11, 1, 1, 0})
    ->Args({11, 2, 1, 0})->Args({11, 1, 1, 1})->Args({11, 2, 1, 1})
    ->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// A long stream: 40 M events, about 67 minutes of event time, so that the 60-minute window's
// running sum holds a full hour (the 7 minutes above hold a ninth of it), and the dictionary
// grows past a million names. A new engine, Zipf 1.1. Args: threads, top-N windows (0: {1},
// 1: {1, 5, 60}). About 10 GB of memory for the workload, a minute or two per case.
void BM_CpuEngineLong(benchmark::State& state) {
  run_engine(state, 1.1, static_cast<unsigned>(state.range(0)), state.range(1) != 0, false, 40'000'000);
}
BENCHMARK(BM_CpuEngineLong)->Args({1, 0})->Args({1, 1})->Args({2, 1})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Emission order of one minute's rows (sort_rows): 250,000 (ad, filter) rows of a 2 M-ad
// dictionary whose indexes follow first appearance, not name order, on 1 or 2 threads.
// items/s = rows/s.
void BM_SortRows(benchmark::State& state) {
  static const auto setup = [] {
    std::mt19937_64 rng(3);
    std::vector<uint32_t> order(2'000'000);
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    auto names = std::make_shared<AdNames>();
    char buf[16];
    for (uint32_t a : order) {
      std::snprintf(buf, sizeof buf, "ad%07u", a);
      names->add(buf);
    }
    // Distinct groups, as a minute's table holds them.
    std::vector<CountRow> rows;
    std::vector<uint64_t> seen;
    for (int i = 0; i < 250'000; ++i) {
      const auto ad = static_cast<uint32_t>(rng() % order.size());
      const uint16_t filter = std::array<uint16_t, 5>{0, 12, 14, 20, 30}[rng() % 5];
      rows.push_back(CountRow{ad, filter, rng() % 100 + 1});
      seen.push_back(uint64_t{ad} << 16 | filter);
    }
    std::sort(seen.begin(), seen.end());
    std::erase_if(rows, [&](const CountRow& r) {
      const uint64_t k = uint64_t{r.ad} << 16 | r.filter_id;
      const auto [lo, hi] = std::equal_range(seen.begin(), seen.end(), k);
      return hi - lo > 1;  // both copies go: simpler than keeping one
    });
    return std::make_pair(names, rows);
  }();
  const auto threads = static_cast<unsigned>(state.range(0));
  ThreadPool pool(threads);
  std::vector<CountRow> rows;
  for (auto _ : state) {
    rows = setup.second;
    sort_rows(rows, *setup.first, threads > 1 ? &pool : nullptr);
    benchmark::DoNotOptimize(rows.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * setup.second.size()));
  state.counters["threads"] = threads;
}
BENCHMARK(BM_SortRows)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace clickagg

int main(int argc, char** argv) {
  // As the long-running processes do (aggregator, sink, run): freed memory is kept for reuse.
  clickagg::tune_malloc_for_streaming();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
