// What engines emit: complete per-minute counts when a window closes (again, as a correction,
// after a late event), top-N lists, and events dropped late. Rows and entries name their ad
// by index into a shared AdNames table (the engine's dictionary), so emitting a minute builds
// no strings; the stores, the wire encoder and the CSV writers read the names from the table.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/engine/ad_names.h"

namespace clickagg {

struct CountRow {
  uint32_t ad = 0;  // index into the result's names
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
  AdNamesPtr names;  // names of rows[].ad
  // Set: the rows cover only the ads of this input partition (a streaming task's share; the
  // topic is keyed by ad_id, so partitions hold disjoint ads). Unset: every partition.
  std::optional<uint32_t> partition = std::nullopt;

  std::string_view ad_id(const CountRow& r) const { return names->name(r.ad); }
};

struct TopNEntry {
  uint32_t ad = 0;  // index into the list's names
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
  AdNamesPtr names;  // names of entries[].ad
  // Set: the top ads of this input partition only (a partial list; the global top N is the
  // top N of the union of every partition's list). Unset: every partition.
  std::optional<uint32_t> partition = std::nullopt;
  // The N the list was cut at, where the sender states it (partition shares, so the merged
  // list is cut at the same N); 0: not stated.
  uint32_t top_n = 0;

  std::string_view ad_id(const TopNEntry& e) const { return names->name(e.ad); }
};

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Keeps the newest of the results under `key` (a minute's counts, or one list): each result is
// a complete state, so only the last matters; but a superseded original still closed its
// minute, so the kept one is a correction only if both were.
template <class Map, class Key, class Result>
void keep_newest(Map& results, const Key& key, const Result& newer) {
  auto [it, inserted] = results.try_emplace(key, newer);
  if (inserted) return;
  const bool closes = !it->second.correction || !newer.correction;
  it->second = newer;
  it->second.correction = !closes;
}

// Rows and entries with their names spelled out: for tests, and for code that builds results
// from text (decoded messages, store reads, recounts) rather than from an engine.
struct NamedRow {
  std::string ad_id;
  uint16_t filter_id = 0;
  uint64_t count = 0;
  bool operator==(const NamedRow&) const = default;
};
struct NamedEntry {
  std::string ad_id;
  uint64_t count = 0;
  bool operator==(const NamedEntry&) const = default;
};
std::vector<NamedRow> named_rows(const WindowResult& w);
std::vector<NamedEntry> named_entries(const TopNList& t);
// Fills rows/entries and a names table of their own (one name per row, in order).
void set_rows(WindowResult& w, const std::vector<NamedRow>& rows);
void set_entries(TopNList& t, const std::vector<NamedEntry>& entries);
WindowResult make_window(int64_t minute, const std::vector<NamedRow>& rows, bool correction = false);
TopNList make_list(int64_t minute, uint32_t window, uint16_t filter_id, bool correction,
                   const std::vector<NamedEntry>& entries);

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
