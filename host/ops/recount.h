// The recount: the truth the streaming path approximates. Every event of the source whose
// event time lies in the range counts once per de-duplication key (click_id, else the whole
// tuple) and minute, however late it arrived: no watermark, no lateness cut-off. Filters,
// normalisation and de-duplication are the engines' own, through a dedicated engine instance
// that shares nothing with a live aggregator.
//
// Of several events with one key in one minute the first in the source's order counts:
// partition, then offset, the order an aggregator reads each partition in. Where they differ
// in a counted field (a click_id reused for another ad or country) and sit in different
// partitions, the streaming path's choice depended on how it interleaved the partitions, and
// the two may attribute that click differently; verbatim repeats always agree.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "host/ops/event_source.h"
#include "host/ops/time_range.h"

namespace clickagg::ops {

struct RecountConfig {
  FilterSet filters;
  EngineKind engine = EngineKind::Cpu;
  unsigned threads = 0;  // CPU engine threads; 0: all cores
};

struct RecountStats {
  uint64_t events = 0;      // events read with event time in the range
  uint64_t duplicates = 0;  // of those, repeats of a key already counted in the same minute
  uint64_t counted = 0;
  RecountStats& operator+=(const RecountStats& o) {
    events += o.events;
    duplicates += o.duplicates;
    counted += o.counted;
    return *this;
  }
};

struct Recount {
  // Minutes with counted events -> their rows (sorted by filter_id, then ad_id bytes).
  std::map<int64_t, std::vector<NamedRow>> minutes;
  RecountStats stats;
};

// Recounts `range` from `source`. The engine holds every minute of the range at once (its
// memory grows with the range: callers go chunk by chunk), so no event is ever late.
Recount recount(EventSource& source, const MinuteRange& range, const RecountConfig& config);

}  // namespace clickagg::ops
