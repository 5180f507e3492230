// What engines emit: complete per-minute counts when a window closes (again, as a correction,
// after a late event), top-N lists, and events dropped late.
#pragma once
#include <cstdint>
#include <optional>
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

// GCC 12 reports a disengaged std::optional's payload as "maybe uninitialized" when these
// structs are moved inside a std::variant (a false positive: the payload is never read while
// disengaged). Their implicit copy and move constructors are defined at the struct lines.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// Every non-zero group of one minute, sorted by filter_id then ad_id (byte order).
struct WindowResult {
  int64_t minute = 0;
  bool correction = false;
  std::vector<CountRow> rows;
  // Set: the rows cover only the ads of this input partition (a streaming task's share; the
  // topic is keyed by ad_id, so partitions hold disjoint ads). Unset: every partition.
  std::optional<uint32_t> partition = std::nullopt;
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
  // Set: the top ads of this input partition only (a partial list; the global top N is the
  // top N of the union of every partition's list). Unset: every partition.
  std::optional<uint32_t> partition = std::nullopt;
  // The N the list was cut at, where the sender states it (partition shares, so the merged
  // list is cut at the same N); 0: not stated.
  uint32_t top_n = 0;
};

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

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
