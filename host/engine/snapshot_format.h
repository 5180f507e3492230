// The engine snapshot stream shared by every engine, so a checkpoint written by one restores
// into another:
//   header: magic, version, delay, allowed lateness, filter ids
//   stats, watermarks, window lifecycle
//   "CONT": counts by minute as (ad name, filter id, count) rows
//   "SEEN": dedup fingerprints by minute
//   "END!"
#pragma once
#include <cstdint>
#include <istream>
#include <ostream>
#include <vector>

#include "host/engine/engine.h"

namespace clickagg::snapshot {

constexpr uint32_t kMagic = 0x53454143;  // "CAES"
constexpr uint32_t kVersion = 1;
constexpr uint32_t kTagCounts = 0x544e4f43, kTagSeen = 0x4e454553, kTagEnd = 0x21444e45;

void write_header(std::ostream& out, const EngineConfig& cfg);
// One minute of the counts section: minute, row count, then (ad name, filter id, count) rows.
void write_minute_rows(std::ostream& out, int64_t minute, const std::vector<CountRow>& rows, const AdNames& names);
// Throws std::runtime_error unless the snapshot was written by an engine of the same
// delay, lateness and filter ids.
void check_header(std::istream& in, const EngineConfig& cfg);

}  // namespace clickagg::snapshot
