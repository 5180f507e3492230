// `clickagg watch`: tails log files and hands every complete line to a LineSink (Kafka), at
// least once across crashes.
//
// Each step scans for files, reads up to a batch of complete lines across them, decodes
// each line (to reject malformed ones and to key the rest by ad_id), sends the good ones,
// waits until the sink acknowledged all of them, appends the rejects to the dead-letter
// file, and only then saves the new offsets atomically. A crash at any point leaves offsets
// at or before the first unacknowledged line: the lines of an unfinished batch are sent
// again, never skipped. Downstream, the engine's de-duplication (the same event in the same
// window is counted once) removes those repeats.
//
// Files are polled (glob, fstat, read) every poll_interval rather than watched with inotify:
// a poll sees the files as they are, so a restart, a rotation or a truncation that happened
// while nobody was looking is handled by the same code as one seen live, with no event queue
// to overflow or re-synchronise; it also works where inotify does not (NFS, some overlay
// filesystems). At 200 ms it costs a glob and an fstat per file, and adds at most that much
// latency to a line.
#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/decode/decode.h"
#include "host/decode/record_decoder.h"
#include "host/watch/dead_letter.h"
#include "host/watch/file_set.h"
#include "host/watch/line_sink.h"
#include "host/watch/watch_probe.h"

namespace clickagg::watch {

struct WatchOptions {
  std::string glob;                  // files to tail, e.g. "/var/log/app/*.log"
  Format format = Format::Log;       // Log, Json or Auto (per line)
  std::string state_path;            // offsets, saved atomically
  std::string dead_letter_path;      // rejected lines
  size_t batch_size = 5000;          // lines per batch (one acknowledgement wait each)
  std::chrono::milliseconds poll_interval{200};
  std::chrono::milliseconds rotate_wait{5000};
  std::chrono::milliseconds retry_backoff{1000};  // after a failed delivery
};

struct StepResult {
  size_t lines = 0;        // lines read (sent or rejected)
  bool delivered = true;   // false: the sink failed; nothing was committed
};

class Watcher {
 public:
  // Loads the saved state (throws std::runtime_error when it is unreadable) and opens the
  // dead-letter file. `probe` may be null.
  Watcher(WatchOptions options, LineSink& sink, WatchProbe* probe = nullptr);

  // One batch, as described above.
  StepResult step();
  // Steps until `stop` is set, sleeping poll_interval whenever it has caught up. Each step
  // commits what it delivered, so stopping needs nothing more.
  void run(const std::atomic<bool>& stop);

  const FileSet& files() const { return files_; }

 private:
  void handle(const TailedFile& f, const Line& line);
  void save_if_changed();
  void publish(size_t lines, uint64_t bytes, uint64_t rejects);

  WatchOptions o_;
  LineSink& sink_;
  WatchProbe* probe_;
  FileSet files_;
  std::optional<DeadLetterFile> dead_letter_;
  std::string saved_text_;        // the state as last saved
  size_t start_ = 0;              // round-robin start among the files that are not orphans
  // Per batch:
  RecordDecoder decoder_;
  std::string scratch_, tail_;
  std::string rejects_;
  size_t sent_ = 0, rejected_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace clickagg::watch
