// What engines emit: complete per-minute counts when a window closes (again, as a correction,
// after a late event), top-N lists, and events dropped late.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "host/decode/event.h"

namespace clickagg {

struct CountRow {
  std::string ad_id;
  uint16_t filter_id = 0;
  uint64_t count = 0;
  bool operator==(const CountRow&) const = default;
};

// Every non-zero group of one minute, sorted by filter_id then ad_id (byte order).
struct WindowResult {
  int64_t minute = 0;
  bool correction = false;
  std::vector<CountRow> rows;
};

struct TopNEntry {
  std::string ad_id;
  uint64_t count = 0;
  bool operator==(const TopNEntry&) const = default;
};

// The top ads over minutes [minute - window + 1, minute] for one filter, ranked by count
// descending then ad_id ascending; ads with a zero sum are absent.
struct TopNList {
  int64_t minute = 0;
  uint32_t window = 1;
  uint16_t filter_id = 0;
  bool correction = false;
  std::vector<TopNEntry> entries;
};

// An event whose window was already purged: not counted, reported for reconciliation.
struct LateRecord {
  uint32_t partition = 0;
  uint64_t position = 0;  // Event::position
  std::string ad_id;
  int64_t t_ms = 0;
  int64_t watermark_ms = 0;
};

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void on_window(const WindowResult& w) = 0;
  virtual void on_topn(const TopNList& t) = 0;
  virtual void on_late(const LateRecord& r) = 0;
};

}  // namespace clickagg
