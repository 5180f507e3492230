// The archiver's commit record, replaced atomically at every commit: what a reader may read
// and where the archiver resumes. The Kafka consumer group's committed offsets are written
// for monitoring only; this file is the source of truth.
//
// A data file is committed when its first offset lies below the next offset of its
// partition. A committed file listed in `open_files` is read up to its committed length (the
// archiver may be appending to it, or may have died with a torn tail); any other committed
// file is whole. Files whose first offset is not below the next offset were created after
// the last commit: readers skip them and the recovery deletes them.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "host/archive/archive_layout.h"

namespace clickagg::archive {

struct ArchiveState {
  std::string topic;
  std::map<uint32_t, int64_t> next_offset;        // per partition: first offset not archived
  std::map<std::string, uint64_t> open_files;     // path relative to the directory -> committed bytes
  uint64_t dead_letter_bytes = 0;                 // committed length of the dead-letter file
  uint64_t commits = 0;

  // Bytes of `rel_path` (a data file `name`) a reader may read: nullopt when the file is not
  // committed, UINT64_MAX when it is whole.
  std::optional<uint64_t> committed_bytes(const std::string& rel_path, const DataFileName& name) const;
};

// nullopt when there is none; throws on a corrupt one (never silently starts over).
std::optional<ArchiveState> load_archive_state(const std::string& dir);
void save_archive_state(const std::string& dir, const ArchiveState& state);

}  // namespace clickagg::archive
