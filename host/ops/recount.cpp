#include "host/engines/engines.h"
#include "host/ops/recount.h"

#include <stdexcept>
#include <string>

#include "host/common/time_util.h"

namespace clickagg::ops {

namespace {

// Keeps the rows of each closed minute; lists are not needed (the replay ranks from the
// stored counts) and nothing may be dropped late.
class RecountSink final : public ResultSink {
 public:
  explicit RecountSink(Recount& out) : out_(out) {}
  void on_window(const WindowResult& w) override {
    if (w.rows.empty()) {
      out_.minutes.erase(w.minute);
      return;
    }
    out_.minutes[w.minute] = named_rows(w);
  }
  void on_topn(const TopNList&) override {}
  void on_late(const LateRecord& r) override {
    throw std::logic_error("recount dropped an event of minute " + format_minute(minute_of(r.t_ms)) + " as late");
  }

 private:
  Recount& out_;
};

}  // namespace

Recount recount(EventSource& source, const MinuteRange& range, const RecountConfig& config) {
  Recount out;
  if (range.minutes() <= 0) return out;
  // No minute of the range may close (let alone be purged) before the end of input: with a
  // delay as long as the range, the watermark stays below the end of its first minute.
  const int64_t span_ms = range.minutes() * kMsPerMinute;
  EngineConfig ec;
  ec.delay_ms = span_ms;
  ec.allowed_lateness_ms = span_ms;
  ec.top_n = 1;  // lists are not used; the smallest cost
  ec.topn_windows = {1};
  ec.filters = config.filters;
  ec.threads = config.threads;
  ec.idle_timeout_ms = INT64_MAX / 4;
  std::unique_ptr<Engine> engine = make_engine(config.engine, ec);

  RecountSink sink(out);
  const int64_t lo = range.from_ms(), hi = range.to_ms();
  std::vector<Event> inside;
  source.read(lo, hi, [&](std::span<const Event> batch) {
    // A source must keep to the range; anything outside it would count into the wrong
    // minutes, so it is left out here whatever the source does.
    size_t bad = 0;
    for (const Event& ev : batch) bad += ev.t_ms < lo || ev.t_ms >= hi;
    if (bad == 0) {
      engine->process(0, batch, 0, sink);
      return;
    }
    inside.clear();
    for (const Event& ev : batch)
      if (ev.t_ms >= lo && ev.t_ms < hi) inside.push_back(ev);
    engine->process(0, inside, 0, sink);
  });
  engine->finish(sink);
  const EngineStats st = engine->stats();
  if (st.dropped_late != 0) throw std::logic_error("recount dropped events as late");
  out.stats.events = st.events;
  out.stats.duplicates = st.duplicates;
  out.stats.counted = st.counted;
  return out;
}

}  // namespace clickagg::ops
