// Feeds a random stream to a real engine in batches and keeps what it emits, then compares
// that with the reference model. Comparisons return an empty string when everything agrees,
// else a description of the first differences, so one failing seed prints one readable report.
#pragma once
#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "host/common/country.h"
#include "host/common/ip.h"
#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "tests/property/random_stream.h"
#include "tests/reference/reference_model.h"

namespace clickagg::proptest {

class CollectingSink : public ResultSink {
 public:
  std::map<int64_t, std::vector<WindowResult>> windows;  // every emission, per minute, in order
  std::map<ref::TopKey, TopNList> last_topn;
  std::vector<LateRecord> late;

  void on_window(const WindowResult& w) override { windows[w.minute].push_back(w); }
  void on_topn(const TopNList& t) override { last_topn[{t.minute, t.window, t.filter_id}] = t; }
  void on_late(const LateRecord& r) override { late.push_back(r); }
};

struct EngineRun {
  CollectingSink sink;
  EngineStats stats;
  std::string error;  // set when the engine threw
};

enum class Batching { Random, WholeRuns, OneByOne };

inline EngineConfig engine_config(const Scenario& s, unsigned threads) {
  EngineConfig c;
  c.delay_ms = s.delay_ms;
  c.allowed_lateness_ms = s.lateness_ms;
  c.top_n = s.top_n;
  c.topn_windows = s.windows;
  c.threads = threads;
  c.idle_timeout_ms = 24LL * 3'600'000;  // processing time below stays far under this
  std::vector<FilterDef> defs;
  for (const auto& f : s.filters) {
    FilterDef d;
    d.id = f.id;
    for (const auto& code : f.countries) {
      Country c2;
      normalize_country(code, c2);
      d.countries.push_back(c2);
    }
    for (const auto& b : f.blocks) d.ip_blocks.push_back(parse_cidr(b).value());
    d.user_ids = f.users;
    defs.push_back(d);
  }
  c.filters = FilterSet(std::move(defs));
  return c;
}

// Engine events viewing the scenario's strings; empty `error` when every raw field decoded.
inline std::vector<Event> engine_events(const Scenario& s, std::string& error) {
  std::vector<Event> out;
  for (const StreamEvent& se : s.events) {
    Event ev;
    ev.ad_id = se.canonical.ad_id;
    ev.user_id = se.canonical.user_id;
    ev.click_id = se.canonical.click_id ? std::string_view(*se.canonical.click_id) : std::string_view();
    ev.t_ms = se.canonical.t_ms;
    if (!parse_ip(se.ip_text, ev.ip)) error += "parse_ip rejected " + se.ip_text + "; ";
    if (!normalize_country(se.country_text, ev.country)) {
      error += "normalize_country rejected " + se.country_text + "; ";
    }
    out.push_back(ev);
  }
  return out;
}

inline EngineRun run_engine(EngineKind kind, unsigned threads, const Scenario& s, Batching batching,
                            uint64_t batch_seed) {
  EngineRun run;
  std::vector<Event> events = engine_events(s, run.error);
  if (!run.error.empty()) return run;
  try {
    auto engine = make_engine(kind, engine_config(s, threads));
    Rng rng(batch_seed);
    int64_t now_ms = 0;
    size_t i = 0;
    while (i < events.size()) {
      const uint32_t p = s.events[i].partition;
      size_t limit = events.size();
      if (batching == Batching::OneByOne) limit = 1;
      if (batching == Batching::Random) limit = rng.chance(10) ? events.size() : rng.between(1, 48);
      size_t j = i;
      while (j < events.size() && j - i < limit && s.events[j].partition == p) ++j;
      engine->process(p, std::span<const Event>(events.data() + i, j - i), now_ms++, run.sink);
      i = j;
    }
    engine->finish(run.sink);
    run.stats = engine->stats();
  } catch (const std::exception& e) {
    run.error = std::string("engine threw: ") + e.what();
  }
  return run;
}

namespace detail {

using CountKey = std::tuple<int64_t, uint16_t, std::string>;

inline std::map<CountKey, uint64_t> final_counts(const CollectingSink& sink) {
  std::map<CountKey, uint64_t> out;
  for (const auto& [minute, emissions] : sink.windows) {
    const WindowResult& w = emissions.back();
    for (const CountRow& row : w.rows) out[{minute, row.filter_id, std::string(w.ad_id(row))}] = row.count;
  }
  return out;
}

inline std::string show_key(const CountKey& k) {
  std::ostringstream s;
  s << "(minute " << std::get<0>(k) << ", filter " << std::get<1>(k) << ", ad '" << std::get<2>(k) << "')";
  return s.str();
}

inline std::string show_list(const std::vector<std::pair<std::string, uint64_t>>& l) {
  std::string out = "[";
  for (const auto& [ad, c] : l) out += " " + ad + ":" + std::to_string(c);
  return out + " ]";
}

inline std::vector<std::pair<std::string, uint64_t>> entries_of(const TopNList& t) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& e : t.entries) out.emplace_back(std::string(t.ad_id(e)), e.count);
  return out;
}

// Appends up to `limit` lines; returns false once the limit is reached.
class Report {
 public:
  explicit Report(size_t limit) : limit_(limit) {}
  void add(const std::string& line) {
    if (lines_ < limit_) text_ += "  " + line + "\n";
    else if (lines_ == limit_) text_ += "  ...\n";
    ++lines_;
  }
  const std::string& text() const { return text_; }

 private:
  size_t limit_;
  size_t lines_ = 0;
  std::string text_;
};

inline const char* outcome_name(ref::Outcome o) {
  switch (o) {
    case ref::Outcome::Counted: return "counted";
    case ref::Outcome::LateCounted: return "late_counted";
    case ref::Outcome::Duplicate: return "duplicate";
    case ref::Outcome::DroppedLate: return "dropped_late";
  }
  return "?";
}

}  // namespace detail

// What the reference did with the events of one minute, for failure reports.
inline std::string trace_minute(const Scenario& s, const ref::RefResult& r, int64_t minute) {
  std::ostringstream out;
  for (size_t i = 0; i < s.events.size(); ++i) {
    const auto& e = s.events[i].canonical;
    if (ref::minute_of(e.t_ms) != minute) continue;
    out << "    #" << i << " p" << e.partition << " " << e.ad_id << " t=" << e.t_ms
        << " user='" << e.user_id << "' ip=" << s.events[i].ip_text << " country=" << e.country
        << " click=" << (e.click_id ? *e.click_id : "-") << " -> "
        << detail::outcome_name(r.outcomes[i]) << "\n";
  }
  return out.str();
}

inline std::string compare_with_reference(const EngineRun& run, const Scenario& s,
                                          const ref::RefResult& r) {
  if (!run.error.empty()) return "  " + run.error + "\n";
  detail::Report rep(12);
  std::set<int64_t> bad_minutes;

  // Statistics.
  const EngineStats& st = run.stats;
  const std::vector<std::tuple<const char*, uint64_t, uint64_t>> stats{
      {"events", st.events, r.stats.events_total},
      {"duplicates", st.duplicates, r.stats.duplicates},
      {"dropped_late", st.dropped_late, r.stats.dropped_late},
      {"counted", st.counted, r.stats.counted},
      {"late_counted", st.late_counted, r.stats.late_counted}};
  for (const auto& [name, got, want] : stats) {
    if (got != want) rep.add(std::string("stats.") + name + ": engine " + std::to_string(got) +
                             ", reference " + std::to_string(want));
  }

  // Final counts: the last emission of each minute.
  const auto got = detail::final_counts(run.sink);
  for (const auto& [key, want] : r.counts) {
    const auto it = got.find(key);
    const uint64_t g = it == got.end() ? 0 : it->second;
    if (g != want) {
      rep.add("count " + detail::show_key(key) + ": engine " + std::to_string(g) + ", reference " +
              std::to_string(want));
      bad_minutes.insert(std::get<0>(key));
    }
  }
  for (const auto& [key, g] : got) {
    if (!r.counts.count(key)) {
      rep.add("count " + detail::show_key(key) + ": engine " + std::to_string(g) + ", reference 0");
      bad_minutes.insert(std::get<0>(key));
    }
  }

  // Emission invariants.
  for (const auto& [minute, emissions] : run.sink.windows) {
    for (size_t k = 0; k < emissions.size(); ++k) {
      if (emissions[k].correction != (k > 0)) {
        rep.add("minute " + std::to_string(minute) + ": emission " + std::to_string(k + 1) +
                " has correction=" + (emissions[k].correction ? "true" : "false"));
      }
      const std::vector<NamedRow> rows = named_rows(emissions[k]);
      for (size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].count == 0) rep.add("minute " + std::to_string(minute) + ": a zero row");
        if (i > 0 && std::tie(rows[i - 1].filter_id, rows[i - 1].ad_id) >=
                         std::tie(rows[i].filter_id, rows[i].ad_id)) {
          rep.add("minute " + std::to_string(minute) + ": rows not sorted by filter_id, ad_id");
        }
      }
    }
    const auto late_it = r.late_counted_by_minute.find(minute);
    const uint64_t late = late_it == r.late_counted_by_minute.end() ? 0 : late_it->second;
    if (emissions.size() > 1 + late) {
      rep.add("minute " + std::to_string(minute) + ": emitted " + std::to_string(emissions.size()) +
              " times with " + std::to_string(late) + " late_counted events");
    }
  }
  for (const auto& [key, want] : r.counts) {
    if (!run.sink.windows.count(std::get<0>(key))) {
      rep.add("minute " + std::to_string(std::get<0>(key)) + " has counted events but was never emitted");
    }
  }

  // Events dropped late.
  if (run.sink.late.size() != r.stats.dropped_late) {
    rep.add("on_late called " + std::to_string(run.sink.late.size()) + " times, reference dropped " +
            std::to_string(r.stats.dropped_late));
  }
  std::multiset<std::tuple<uint32_t, std::string, int64_t>> late_got, late_want;
  for (const auto& l : run.sink.late) {
    late_got.insert({l.partition, l.ad_id, l.t_ms});
    if (l.watermark_ms < (ref::minute_of(l.t_ms) + 1) * 60'000 + s.lateness_ms) {
      rep.add("late record t=" + std::to_string(l.t_ms) + " with watermark " +
              std::to_string(l.watermark_ms) + " below its window's purge point");
    }
  }
  for (const auto& d : r.dropped) late_want.insert({d.partition, d.ad_id, d.t_ms});
  if (late_got != late_want) rep.add("late records differ from the events the reference dropped");

  // Final top-N lists, for every (minute, window, filter) the batch output lists.
  for (const auto& [key, want] : r.topn) {
    const auto it = run.sink.last_topn.find(key);
    const auto g = it == run.sink.last_topn.end() ? ref::TopList{} : detail::entries_of(it->second);
    if (g != want) {
      rep.add("top-N (minute " + std::to_string(std::get<0>(key)) + ", window " +
              std::to_string(std::get<1>(key)) + ", filter " + std::to_string(std::get<2>(key)) +
              "): engine " + detail::show_list(g) + ", reference " + detail::show_list(want));
    }
  }

  std::string out = rep.text();
  if (!out.empty()) {
    for (int64_t m : bad_minutes) {
      out += "  reference trace of minute " + std::to_string(m) + ":\n" + trace_minute(s, r, m);
      break;  // one minute is enough to start from
    }
  }
  return out;
}

// Two runs of the same stream must end in the same final state.
inline std::string compare_runs(const EngineRun& a, const EngineRun& b) {
  if (!a.error.empty() || !b.error.empty()) return "  " + a.error + " / " + b.error + "\n";
  detail::Report rep(8);
  if (detail::final_counts(a.sink) != detail::final_counts(b.sink)) rep.add("final counts differ");
  // Top-N lists of the minutes the batch output covers (first to last counted minute).
  const auto counts = detail::final_counts(a.sink);
  if (!counts.empty()) {
    const int64_t first = std::get<0>(counts.begin()->first);
    const int64_t last = std::get<0>(counts.rbegin()->first);
    std::map<ref::TopKey, ref::TopList> ta, tb;
    for (const auto& [k, t] : a.sink.last_topn) ta[k] = detail::entries_of(t);
    for (const auto& [k, t] : b.sink.last_topn) tb[k] = detail::entries_of(t);
    for (auto* m : {&ta, &tb}) {
      std::erase_if(*m, [&](const auto& kv) {
        const int64_t minute = std::get<0>(kv.first);
        return kv.second.empty() || minute < first || minute > last;
      });
    }
    if (ta != tb) rep.add("final non-empty top-N lists differ");
  }
  const auto sa = std::make_tuple(a.stats.events, a.stats.duplicates, a.stats.dropped_late,
                                  a.stats.counted, a.stats.late_counted);
  const auto sb = std::make_tuple(b.stats.events, b.stats.duplicates, b.stats.dropped_late,
                                  b.stats.counted, b.stats.late_counted);
  if (sa != sb) rep.add("stats differ");
  if (a.sink.late.size() != b.sink.late.size()) rep.add("number of late records differs");
  return rep.text();
}

}  // namespace clickagg::proptest
