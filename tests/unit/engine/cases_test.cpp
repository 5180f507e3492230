// Runs every window-semantics case file (tests/cases/*.case) through the engines: records are
// decoded as the batch command would, fed partition by partition in the batches the file
// marks (and again one event per call), and the final state is rendered as counts.csv and
// topn.csv rows to compare with the hand-computed expectations.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "host/common/time_util.h"
#include "host/decode/decode.h"
#include "host/decode/event_time_bound.h"
#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "host/engine/filters.h"
#include "tests/cases/case_file.h"
#include "tests/support/gpu_required.h"
#include "tests/support/source_dir.h"

namespace clickagg {
namespace {

using cases::CaseFile;

enum class Mode { Cpu1, Cpu3, CpuOneByOne, Gpu, GpuOneByOne, GpuPortable, GpuPortableOneByOne };

struct ModeInfo {
  const char* name;
  EngineKind kind;
  unsigned threads;
  bool one_by_one;
};

ModeInfo mode_info(Mode m) {
  switch (m) {
    case Mode::Cpu1: return {"cpu_1_thread", EngineKind::Cpu, 1, false};
    case Mode::Cpu3: return {"cpu_3_threads", EngineKind::Cpu, 3, false};
    case Mode::CpuOneByOne: return {"cpu_one_event_per_call", EngineKind::Cpu, 2, true};
    case Mode::Gpu: return {"gpu", EngineKind::Gpu, 0, false};
    case Mode::GpuOneByOne: return {"gpu_one_event_per_call", EngineKind::Gpu, 0, true};
    case Mode::GpuPortable: return {"gpu_portable", EngineKind::GpuPortable, 0, false};
    case Mode::GpuPortableOneByOne: return {"gpu_portable_one_event_per_call", EngineKind::GpuPortable, 0, true};
  }
  return {"?", EngineKind::Cpu, 1, false};
}

void PrintTo(Mode m, std::ostream* os) { *os << mode_info(m).name; }

class Collector : public ResultSink {
 public:
  std::map<int64_t, std::vector<WindowResult>> windows;
  std::map<std::tuple<int64_t, uint32_t, uint16_t>, TopNList> topn;
  uint64_t late = 0;
  void on_window(const WindowResult& w) override { windows[w.minute].push_back(w); }
  void on_topn(const TopNList& t) override { topn[{t.minute, t.window, t.filter_id}] = t; }
  void on_late(const LateRecord&) override { ++late; }
};

struct Outcome {
  std::vector<std::string> counts_rows;
  std::vector<std::string> topn_rows;
  std::map<std::string, uint64_t> summary;
  std::vector<uint64_t> reject_lines;
};

EngineConfig config_of(const CaseFile& c, unsigned threads) {
  EngineConfig cfg;
  cfg.delay_ms = parse_duration_ms(c.config_or("delay", "15s")).value();
  cfg.allowed_lateness_ms = parse_duration_ms(c.config_or("allowed-lateness", "10m")).value();
  cfg.top_n = static_cast<uint32_t>(std::stoul(c.config_or("top", "100")));
  cfg.topn_windows.clear();
  std::istringstream windows(c.config_or("topn-windows", "1"));
  for (std::string w; std::getline(windows, w, ',');) cfg.topn_windows.push_back(std::stoul(w));
  cfg.threads = threads;
  cfg.idle_timeout_ms = 24LL * 3'600'000;
  if (!c.filters_yaml.empty()) cfg.filters = parse_filters_yaml(c.filters_yaml);
  return cfg;
}

// A case's processing time and bound on event time (none without `now`).
EventTimeBound bound_of(const CaseFile& c) {
  if (!c.config.count("now")) return {};
  int64_t now = 0;
  if (!parse_log_timestamp(c.config.at("now"), now)) throw std::runtime_error(c.name + ": bad now");
  const std::string max = c.config_or("max-future", "10m");
  return EventTimeBound(now, max == "off" ? std::nullopt : std::optional<int64_t>(parse_duration_ms(max).value()));
}

Outcome run_case(const CaseFile& c, const ModeInfo& mode) {
  const EngineConfig cfg = config_of(c, mode.threads);
  const Format format = parse_format(c.config_or("format", "log")).value();
  const EventTimeBound bound = bound_of(c);
  Outcome out;
  Collector sink;
  std::unique_ptr<Engine> engine = make_engine(mode.kind, cfg);
  int64_t now_ms = 0;
  for (const auto& batch : c.batches) {
    if (batch.restart_before) {
      std::stringstream state;
      engine->save_state(state);
      engine = make_engine(mode.kind, cfg);
      engine->restore_state(state);
    }
    Arena arena;
    std::vector<Event> events;
    for (const auto& rec : batch.records) {
      Event ev;
      if (decode_record(format, rec.text, ev, arena) != nullptr || bound.check(ev.t_ms) != nullptr)
        out.reject_lines.push_back(rec.line);
      else events.push_back(ev);
    }
    if (mode.one_by_one) {
      for (const Event& ev : events) engine->process(batch.partition, {&ev, 1}, now_ms++, sink);
    } else if (!events.empty()) {
      engine->process(batch.partition, events, now_ms++, sink);
    }
  }
  engine->finish(sink);
  const EngineStats st = engine->stats();

  // counts.csv order: minute, filter_id, ad_id; the last emission of a minute is final.
  std::map<std::tuple<int64_t, uint16_t, std::string>, uint64_t> counts;
  for (const auto& [minute, emissions] : sink.windows) {
    const WindowResult& w = emissions.back();
    for (const auto& row : w.rows) counts[{minute, row.filter_id, std::string(w.ad_id(row))}] = row.count;
  }
  for (const auto& [key, n] : counts) {
    const auto& [minute, filter, ad] = key;
    out.counts_rows.push_back(ad + "," + format_minute(minute) + "," + std::to_string(filter) + "," +
                              std::to_string(n));
  }
  if (!counts.empty()) {
    const int64_t first = std::get<0>(counts.begin()->first);
    const int64_t last = std::get<0>(counts.rbegin()->first);
    for (const auto& [key, list] : sink.topn) {
      const auto& [minute, window, filter] = key;
      if (minute < first || minute > last) continue;
      for (size_t i = 0; i < list.entries.size(); ++i) {
        out.topn_rows.push_back(format_minute(minute) + "," + std::to_string(window) + "," +
                                std::to_string(filter) + "," + std::to_string(i + 1) + "," +
                                std::string(list.ad_id(list.entries[i])) + "," +
                                std::to_string(list.entries[i].count));
      }
    }
  }
  out.summary = {{"events_total", c.record_count},
                 {"rejected", out.reject_lines.size()},
                 {"duplicates", st.duplicates},
                 {"dropped_late", st.dropped_late},
                 {"counted", st.counted},
                 {"late_counted", st.late_counted}};
  EXPECT_EQ(st.events, c.record_count - out.reject_lines.size()) << "events handed to the engine";
  EXPECT_EQ(sink.late, st.dropped_late) << "one late record per event dropped late";
  for (const auto& [minute, emissions] : sink.windows) {
    for (size_t k = 0; k < emissions.size(); ++k) {
      EXPECT_EQ(emissions[k].correction, k > 0)
          << "minute " << format_minute(minute) << ", emission " << k + 1;
    }
  }
  return out;
}

class Cases : public testing::TestWithParam<std::tuple<CaseFile, Mode>> {};

TEST_P(Cases, MatchHandComputedExpectations) {
  const auto& [c, mode] = GetParam();
  const ModeInfo m = mode_info(mode);
  if (m.kind == EngineKind::Gpu) CLICKAGG_NEEDS_GPU();
#if !defined(CLICKAGG_HAVE_GPU_PORTABLE)
  if (m.kind == EngineKind::GpuPortable) GTEST_SKIP() << "built without the portable GPU engine";
#endif
#if !defined(CLICKAGG_HAVE_YAML)
  if (!c.filters_yaml.empty()) GTEST_SKIP() << "built without yaml-cpp: filter files unreadable";
#endif
  SCOPED_TRACE("case " + c.name + " on " + m.name);
  const Outcome got = run_case(c, m);
  EXPECT_EQ(got.counts_rows, c.counts_rows) << "counts.csv rows";
  EXPECT_EQ(got.topn_rows, c.topn_rows) << "topn.csv rows";
  EXPECT_EQ(got.summary, c.summary) << "summary";
  EXPECT_EQ(got.reject_lines, c.reject_lines) << "rejected lines";
}

INSTANTIATE_TEST_SUITE_P(
    Files, Cases,
    testing::Combine(testing::ValuesIn(cases::load_cases(testing_support::source_dir() + "/tests/cases")),
                     testing::Values(Mode::Cpu1, Mode::Cpu3, Mode::CpuOneByOne, Mode::Gpu,
                                     Mode::GpuOneByOne, Mode::GpuPortable, Mode::GpuPortableOneByOne)),
    [](const testing::TestParamInfo<std::tuple<CaseFile, Mode>>& p) {
      return std::get<0>(p.param).name + "_" + mode_info(std::get<1>(p.param)).name;
    });

}  // namespace
}  // namespace clickagg
