// What happened to the events, in one type from the engine to the dashboard: the engine's
// statistics, the aggregator's progress on the wire, the store's progress values, every
// /metrics series and the API's status all carry these eight counters, and every place that
// names them one by one walks kCounterFields instead.
#pragma once
#include <cstdint>

namespace clickagg {

struct EventCounters {
  uint64_t events = 0;          // decoded events handed to the engine
  uint64_t counted = 0;         // counted into a window (late ones included)
  uint64_t late_counted = 0;    // of counted: into a window already closed (a correction)
  uint64_t duplicates = 0;      // repeats of an event already seen in its window
  uint64_t dropped_late = 0;    // too late for any window (past allowed lateness)
  uint64_t rejected = 0;        // records that failed to decode (never reach the engine)
  uint64_t windows_closed = 0;  // windows whose results were emitted
  uint64_t corrections = 0;     // corrected results of closed windows

  bool operator==(const EventCounters&) const = default;
};

struct CounterField {
  const char* name;  // the key in stores, JSON and metric names (clickagg_<who>_<name>_total)
  uint64_t EventCounters::*member;
  const char* help;
};

inline constexpr CounterField kCounterFields[] = {
    {"events", &EventCounters::events, "Decoded events handed to the engine"},
    {"counted", &EventCounters::counted, "Events counted into a window"},
    {"late_counted", &EventCounters::late_counted, "Events counted into a closed window (corrections)"},
    {"duplicates", &EventCounters::duplicates, "Repeated events, counted once"},
    {"dropped_late", &EventCounters::dropped_late, "Events past allowed lateness, not counted"},
    {"rejected", &EventCounters::rejected, "Records that failed to decode"},
    {"windows_closed", &EventCounters::windows_closed, "Windows closed and emitted"},
    {"corrections", &EventCounters::corrections, "Corrections of closed windows emitted"},
};

inline EventCounters& operator+=(EventCounters& a, const EventCounters& b) {
  for (const CounterField& f : kCounterFields) a.*f.member += b.*f.member;
  return a;
}

}  // namespace clickagg
