// Writes decoded click events into the archive exactly once (layout in archive_layout.h).
//
// Records are added in offset order per partition; accepted events go to the open file of
// their (partition, event hour), rejected records to the dead-letter file. commit() makes
// everything added so far durable: it ends each open file's Avro block and fsyncs it, syncs
// new directories and the dead letters, then replaces the state file (archive_state.h) with
// the next offset per partition and each open file's length. A restart (after SIGKILL, at any
// moment) undoes whatever the last commit does not cover: open files are cut back to their
// committed length and sealed, files created since are deleted, the dead-letter file is cut
// back, and the caller resumes every partition at its committed next offset. So each record
// ends up archived once.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "host/archive/archive_probe.h"
#include "host/archive/archive_state.h"
#include "host/archive/data_file_writer.h"
#include "host/decode/decode.h"
#include "host/decode/event_time_bound.h"
#include "host/decode/record_decoder.h"
#include "host/io/durable_file.h"

namespace clickagg::archive {

struct ArchiveConfig {
  std::string dir;
  std::string topic;                          // recorded; a directory serves one topic
  Format format = Format::Auto;
  std::string codec = "deflate";
  uint64_t max_file_bytes = 128ull << 20;     // a file is closed once it reaches this (+ one block)
  size_t block_bytes = 256 << 10;             // uncompressed bytes per Avro block at most
                                              // (and at most a quarter of max_file_bytes)
  size_t max_open_files = 64;                 // the least recently written one is closed beyond this
  uint64_t idle_commits = 60;                 // a file with nothing new for this many commits is closed
};

class ArchiveWriter {
 public:
  // Recovers the directory to its last commit (creating it when new). Throws when another
  // writer holds the directory.
  explicit ArchiveWriter(ArchiveConfig config, ArchiveProbe* probe = nullptr);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // Where to resume each partition (absent: from its beginning).
  const std::map<uint32_t, int64_t>& committed_offsets() const { return state_.next_offset; }
  // Next offset per partition including what is not yet committed.
  const std::map<uint32_t, int64_t>& next_offsets() const { return next_offset_; }

  // Archives one Kafka record or writes it to the dead letters (malformed, or dated beyond
  // `bound`: what the aggregator rejects is not archived either). A record below the
  // partition's next offset has been archived already and is skipped.
  void add(uint32_t partition, int64_t offset, std::string_view record, const EventTimeBound& bound = {});
  // Makes everything added so far durable and recorded.
  void commit();

 private:
  struct OpenFile {
    std::unique_ptr<DataFileWriter> writer;
    std::string rel_path;
    uint64_t committed = 0;   // length at the last sync
    uint64_t last_used = 0;   // add() counter, for least-recently-written
    uint64_t last_commit_used = 0;
    bool dirty = false;
  };
  using FileKey = std::pair<uint32_t, int64_t>;  // (partition, hour)

  void recover();
  OpenFile& file_for(uint32_t partition, int64_t hour, int64_t offset);
  void close_file(std::map<FileKey, OpenFile>::iterator it);
  void note_new_dir(const std::string& path);

  ArchiveConfig cfg_;
  int lock_fd_ = -1;  // flock on DIR/_archive.lock for the writer's lifetime
  ArchiveProbe own_probe_;
  ArchiveProbe* probe_;
  ArchiveState state_;  // as last committed
  std::map<uint32_t, int64_t> next_offset_;
  std::map<FileKey, OpenFile> open_;
  std::set<std::string> dirs_to_sync_;  // directories with entries created since the last commit
  io::DurableAppender dead_letters_;
  std::string dead_letter_buf_;
  RecordDecoder decoder_;
  uint64_t adds_ = 0;
};

}  // namespace clickagg::archive
