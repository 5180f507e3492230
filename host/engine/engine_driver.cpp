#include "host/engine/engine_driver.h"

#include <algorithm>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <thread>

#include "host/common/time_util.h"
#include "host/engine/row_order.h"
#include "host/engine/snapshot_format.h"
#include "host/engine/stage_clock.h"
#include "host/engine/state_io.h"
#include "host/engine/topn_order.h"

namespace clickagg {

namespace {

unsigned resolve_threads(unsigned requested) {
  if (requested != 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

// The statistics as snapshots of every version hold them: seven counters in this order, then
// the watermark. Field by field, so the snapshot does not follow EngineStats' layout.
constexpr uint64_t EventCounters::*kSnapshotCounters[] = {
    &EventCounters::events,       &EventCounters::duplicates,     &EventCounters::dropped_late,
    &EventCounters::counted,      &EventCounters::late_counted,   &EventCounters::windows_closed,
    &EventCounters::corrections,
};

void put_stats(std::ostream& out, const EngineStats& s) {
  for (auto member : kSnapshotCounters) state_io::put<uint64_t>(out, s.*member);
  state_io::put<int64_t>(out, s.watermark_ms);
}

EngineStats get_stats(std::istream& in) {
  EngineStats s;
  for (auto member : kSnapshotCounters) s.*member = state_io::get<uint64_t>(in);
  s.watermark_ms = state_io::get<int64_t>(in);
  return s;
}

}  // namespace

EngineConfig EngineDriver::checked(EngineConfig c) {
  if (c.topn_windows.empty()) c.topn_windows = {1};
  for (uint32_t m : c.topn_windows)
    if (m == 0 || m > 10080) throw std::invalid_argument("top-N window sizes must be 1..10080 minutes");
  if (c.top_n == 0) throw std::invalid_argument("top-N size must be at least 1");
  if (c.delay_ms < 0 || c.allowed_lateness_ms < 0) throw std::invalid_argument("delay and lateness must be >= 0");
  if (c.max_future_ms && *c.max_future_ms < 0) throw std::invalid_argument("the event-time bound must be >= 0");
  std::sort(c.topn_windows.begin(), c.topn_windows.end());
  c.topn_windows.erase(std::unique(c.topn_windows.begin(), c.topn_windows.end()), c.topn_windows.end());
  return c;
}

EngineDriver::EngineDriver(const EngineConfig& config, BackendFactory factory)
    : cfg_(checked(config)),
      pool_(resolve_threads(cfg_.threads)),
      factory_(std::move(factory)),
      backend_(factory_(cfg_, pool_)),
      wm_(cfg_.delay_ms, cfg_.idle_timeout_ms),
      life_(cfg_.allowed_lateness_ms, cfg_.topn_windows.back()) {}

EngineDriver::~EngineDriver() = default;

int64_t EngineDriver::judge(uint32_t partition, const EventColumns& batch, int64_t now_ms, ResultSink& sink) {
  JudgeRule rule;
  rule.w0 = wm_.current();
  rule.others = wm_.others_min(partition, now_ms);
  rule.start_max = wm_.partition_max(partition);
  rule.delay_ms = cfg_.delay_ms;
  rule.lateness_ms = cfg_.allowed_lateness_ms;
  if (!backend_->judge(batch, rule, judged_)) host_judge_.judge(batch.t_ms.data(), batch.size(), rule, pool_, judged_);
  wm_.set_partition_max(partition, judged_.end_max);
  for (const DroppedEvent& d : judged_.dropped) {
    ++stats_.dropped_late;
    sink.on_late(LateRecord{partition, batch.position[d.event], std::string(batch.ad_id(d.event)),
                            batch.t_ms[d.event], d.watermark});
  }
  return watermark_before(rule, judged_.end_max);
}

void EngineDriver::process(uint32_t partition, const EventColumns& batch, int64_t now_ms, ResultSink& sink) {
  wm_.touch(partition, now_ms);
  stats_.events += batch.size();
  int64_t w;
  {
    StageClock c(judge_seconds_);
    w = judge(partition, batch, now_ms, sink);
  }
  if (!judged_.minutes.empty()) {
    tally_.reset(judged_.minutes.size());
    backend_->count(batch, judged_, tally_);
    for (size_t l = 0; l < judged_.minutes.size(); ++l) {
      life_.on_counted(judged_.minutes[l], tally_.open[l], false);
      life_.on_counted(judged_.minutes[l], tally_.late[l], true);
      stats_.counted += tally_.open[l] + tally_.late[l];
      stats_.late_counted += tally_.late[l];
    }
    stats_.duplicates += tally_.duplicates;
  }
  wm_.raise_to(w);
  apply(life_.advance(wm_.current()), sink);
}

void EngineDriver::tick(int64_t now_ms, ResultSink& sink) { apply(life_.advance(wm_.advance(now_ms)), sink); }

void EngineDriver::finish(ResultSink& sink) {
  wm_.raise_to(kEndOfTime);
  apply(life_.advance(kEndOfTime), sink);
}

EngineStats EngineDriver::stats() const {
  EngineStats s = stats_;
  s.watermark_ms = wm_.current();
  return s;
}

std::vector<std::pair<std::string, double>> EngineDriver::stage_seconds() const {
  std::vector<std::pair<std::string, double>> out = backend_->stage_seconds();
  out.emplace_back("judge", judge_seconds_);
  out.emplace_back("sort", sort_seconds_);
  out.emplace_back("emit", emit_seconds_);
  return out;
}

void EngineDriver::apply(const WindowPlan& plan, ResultSink& sink) {
  if (plan.empty()) return;
  StageClock clock(emit_seconds_);
  const EmissionOrder order = emission_order(plan);
  const AdNamesPtr names = backend_->names();
  for (const auto& [m, correction] : order.windows) {
    WindowResult r;
    r.minute = m;
    r.correction = correction;
    backend_->window_rows(m, r.rows);
    if (!backend_->rows_in_order()) {
      StageClock c(sort_seconds_);
      sort_rows(r.rows, *names, &pool_);
    }
    r.names = names;
    sink.on_window(r);
    if (correction) ++stats_.corrections;
    else ++stats_.windows_closed;
  }
  for (const auto& [e, correction] : order.lists) emit_topn(e, correction, sink);
  for (int64_t m : plan.purge) backend_->purge(m);
  for (int64_t m : plan.forget) backend_->forget(m);
}

void EngineDriver::emit_topn(int64_t minute, bool correction, ResultSink& sink) {
  const uint32_t slots = static_cast<uint32_t>(cfg_.filters.size()) + 1;
  const size_t nwin = cfg_.topn_windows.size();
  candidates_.assign(slots * nwin, {});
  backend_->topn(TopNQuery{minute, cfg_.topn_windows, cfg_.top_n}, candidates_);
  const AdNamesPtr names = backend_->names();
  for (uint32_t slot = 0; slot < slots; ++slot) {
    for (size_t w = 0; w < nwin; ++w) {
      TopNList list;
      list.minute = minute;
      list.window = cfg_.topn_windows[w];
      list.filter_id = filter_id(slot);
      list.correction = correction;
      list.entries = std::move(candidates_[slot * nwin + w]);
      keep_top(list.entries, cfg_.top_n, *names);
      list.names = names;
      // An empty list says nothing a subscriber cannot infer; only a correction that empties
      // a list must be sent.
      if (!list.entries.empty() || correction) sink.on_topn(list);
    }
  }
}


void EngineDriver::save_state(std::ostream& out) const {
  using namespace state_io;
  snapshot::write_header(out, cfg_);
  put_stats(out, stats_);
  wm_.save(out);
  life_.save(out);
  const AdNamesPtr names = backend_->names();
  put(out, snapshot::kTagCounts);
  const std::vector<int64_t> minutes = backend_->count_minutes();
  put<uint64_t>(out, minutes.size());
  std::vector<CountRow> rows;
  for (int64_t m : minutes) {
    rows.clear();
    backend_->window_rows(m, rows);
    if (!backend_->rows_in_order()) sort_rows(rows, *names);
    snapshot::write_minute_rows(out, m, rows, *names);
  }
  put(out, snapshot::kTagSeen);
  const std::vector<int64_t> seen = backend_->seen_minutes();
  put<uint64_t>(out, seen.size());
  for (int64_t m : seen) {
    put(out, m);
    put<uint64_t>(out, backend_->fingerprint_count(m));
    backend_->for_each_fingerprint(m, [&](const Hash128& h) { put(out, h); });
  }
  put(out, snapshot::kTagEnd);
}

void EngineDriver::restore_state(std::istream& in) {
  using namespace state_io;
  snapshot::check_header(in, cfg_);
  std::unique_ptr<EngineBackend> fresh = factory_(cfg_, pool_);
  const EngineStats stats = get_stats(in);
  WatermarkTracker wm = wm_;
  wm.restore(in);
  WindowLifecycle life = life_;
  life.restore(in);

  std::vector<uint32_t> slot_of(65536, 0);
  for (size_t k = 0; k < cfg_.filters.size(); ++k) slot_of[cfg_.filters.defs()[k].id] = static_cast<uint32_t>(k + 1);
  expect_tag(in, snapshot::kTagCounts, "counts");
  const auto nm = get<uint64_t>(in);
  std::vector<EngineBackend::RestoredRow> rows;
  for (uint64_t i = 0; i < nm; ++i) {
    const auto minute = get<int64_t>(in);
    const auto n = get<uint64_t>(in);
    rows.clear();
    for (uint64_t r = 0; r < n; ++r) {
      EngineBackend::RestoredRow row;
      row.ad = get_string(in);
      row.slot = slot_of[get<uint16_t>(in)];
      row.count = get<uint64_t>(in);
      rows.push_back(std::move(row));
    }
    fresh->restore_counts(minute, rows);
  }
  expect_tag(in, snapshot::kTagSeen, "dedup");
  const auto ns = get<uint64_t>(in);
  std::vector<Hash128> fps;
  for (uint64_t i = 0; i < ns; ++i) {
    const auto minute = get<int64_t>(in);
    const auto total = get<uint64_t>(in);
    fps.clear();
    for (uint64_t k = 0; k < total; ++k) fps.push_back(get<Hash128>(in));
    fresh->restore_fingerprints(minute, fps);
  }
  expect_tag(in, snapshot::kTagEnd, "end");
  fresh->restored();
  backend_ = std::move(fresh);
  stats_ = stats;
  wm_ = std::move(wm);
  life_ = std::move(life);
}

}  // namespace clickagg
