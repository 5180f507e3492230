// Shared pieces of the recount, replay and reconcile tests: an in-memory event source, a
// "live" streaming run into a store, the reference recount and whole-table reads.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "host/ops/event_source.h"
#include "host/store/aggregate_store.h"
#include "tests/unit/named_results.h"
#include "host/store/store_sink.h"
#include "tests/property/engine_harness.h"
#include "tests/property/random_stream.h"
#include "tests/reference/reference_model.h"
#include "tests/unit/store/store_backends.h"

namespace clickagg::opstest {

using proptest::Rng;
using proptest::Scenario;
// (minute, filter_id, ad_id) -> count, the counts.csv order.
using Counts = std::map<std::tuple<int64_t, uint16_t, std::string>, uint64_t>;

// Events held in memory (viewing strings the caller keeps alive) on their partitions, handed
// out as a topic holds them (partition by partition, each in its order) in batches of random
// size.
class VectorSource final : public ops::EventSource {
 public:
  VectorSource(std::vector<Event> events, uint64_t seed, std::vector<uint32_t> partitions = {})
      : events_(std::move(events)), partitions_(std::move(partitions)), rng_(seed) {
    partitions_.resize(events_.size(), 0);
  }
  void read(int64_t from_ms, int64_t to_ms, const BatchFn& fn) override {
    ++reads;
    std::vector<std::pair<uint32_t, Event>> sorted;
    for (size_t i = 0; i < events_.size(); ++i)
      if (events_[i].t_ms >= from_ms && events_[i].t_ms < to_ms) sorted.emplace_back(partitions_[i], events_[i]);
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Event> in;
    for (const auto& [p, e] : sorted) in.push_back(e);
    for (size_t i = 0; i < in.size();) {
      const size_t n = std::min(in.size() - i, static_cast<size_t>(rng_.between(1, 40)));
      fn(std::span<const Event>(in.data() + i, n));
      i += n;
    }
  }
  int reads = 0;

 private:
  std::vector<Event> events_;
  std::vector<uint32_t> partitions_;
  Rng rng_;
};

// The partitions of a scenario's events, for VectorSource.
inline std::vector<uint32_t> partitions_of(const Scenario& s) {
  std::vector<uint32_t> out;
  for (const auto& e : s.events) out.push_back(e.partition);
  return out;
}

// The recount as the reference model defines it: no watermark can drop anything, and the
// events come partition by partition.
inline Counts reference_recount(const Scenario& s, int64_t from_minute, int64_t to_minute) {
  std::vector<ref::RefEvent> in;
  for (const auto& e : s.events)
    if (ref::minute_of(e.canonical.t_ms) >= from_minute && ref::minute_of(e.canonical.t_ms) < to_minute)
      in.push_back(e.canonical);
  std::stable_sort(in.begin(), in.end(), [](const auto& a, const auto& b) { return a.partition < b.partition; });
  ref::RefConfig c = s.ref_config();
  c.delay_ms = int64_t{1} << 50;
  c.lateness_ms = int64_t{1} << 50;
  Counts out;
  for (const auto& [k, v] : ref::run_reference(in, c).counts) out[k] = v;
  return out;
}

// The streaming path: the scenario's partitions through an engine with its delay and
// lateness, each micro-batch's results written like the sink writes them.
inline void live_run(const Scenario& s, const std::vector<Event>& events, store::AggregateStore& db) {
  auto engine = make_engine(EngineKind::Cpu, proptest::engine_config(s, 2));
  store::StoreSink sink(db, s.top_n);
  for (size_t i = 0; i < events.size();) {
    const uint32_t p = s.events[i].partition;
    size_t j = i;
    while (j < events.size() && j - i < 16 && s.events[j].partition == p) ++j;
    engine->process(p, std::span<const Event>(events.data() + i, j - i), static_cast<int64_t>(i), sink);
    sink.flush();
    i = j;
  }
  engine->finish(sink);
  sink.flush();
}

// Every stored count, read with plain SQL (not through the code under test).
inline Counts table_counts(testing::StoreBackend& b) {
  Counts out;
  for (const std::string& row : b.rows("SELECT minute, filter_id, ad_id, count FROM counts")) {
    // minute|filter|ad|count| ; ad ids hold no '|'.
    std::vector<std::string> f;
    size_t at = 0;
    for (size_t bar; (bar = row.find('|', at)) != std::string::npos; at = bar + 1) f.push_back(row.substr(at, bar - at));
    out[{std::stoll(f[0]), static_cast<uint16_t>(std::stoi(f[1])), f[2]}] = std::stoull(f[3]);
  }
  return out;
}

inline Counts slice(const Counts& c, int64_t from_minute, int64_t to_minute, bool inside) {
  Counts out;
  for (const auto& [k, v] : c)
    if ((std::get<0>(k) >= from_minute && std::get<0>(k) < to_minute) == inside) out[k] = v;
  return out;
}

// Every table of the store, rows sorted: equal dumps mean equal content.
inline std::vector<std::string> dump(testing::StoreBackend& b) {
  std::vector<std::string> out;
  for (const char* table : {"counts", "topn", "topn_lists", "meta", "filters", "late_events", "producer_seq"}) {
    std::vector<std::string> rows = b.rows(std::string("SELECT * FROM ") + table);
    std::sort(rows.begin(), rows.end());
    out.push_back(std::string("# ") + table);
    out.insert(out.end(), rows.begin(), rows.end());
  }
  return out;
}

// The ranking a top-N list must have, by brute force over `counts`.
inline std::vector<NamedEntry> brute_top(const Counts& counts, int64_t e, uint32_t window, uint16_t f, uint32_t n) {
  std::map<std::string, uint64_t> sums;
  for (const auto& [k, v] : counts)
    if (std::get<1>(k) == f && std::get<0>(k) <= e && std::get<0>(k) > e - static_cast<int64_t>(window))
      sums[std::get<2>(k)] += v;
  std::vector<NamedEntry> all;
  for (const auto& [ad, c] : sums)
    if (c > 0) all.push_back({ad, c});
  std::stable_sort(all.begin(), all.end(), [](const NamedEntry& a, const NamedEntry& b) { return a.count > b.count; });
  if (all.size() > n) all.resize(n);
  return all;
}

inline std::vector<uint16_t> filter_ids(const Scenario& s) {
  std::vector<uint16_t> ids{0};
  for (const auto& f : s.filters) ids.push_back(f.id);
  return ids;
}

inline std::pair<int64_t, int64_t> minute_span(const Scenario& s) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (const auto& e : s.events) {
    lo = std::min(lo, ref::minute_of(e.canonical.t_ms));
    hi = std::max(hi, ref::minute_of(e.canonical.t_ms));
  }
  return {lo, hi + 1};
}

}  // namespace clickagg::opstest
