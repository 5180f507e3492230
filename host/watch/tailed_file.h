// One file being tailed: an open descriptor (so a renamed or deleted file can still be read
// to its end), the offset of the next byte not yet acknowledged downstream (`committed`), the
// offset of the next byte not yet read (`read`, ahead of committed while a batch is in
// flight), and the checks that notice truncation and replaced content.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "host/watch/file_identity.h"
#include "host/watch/watch_state.h"

namespace clickagg::watch {

using Clock = std::chrono::steady_clock;

// A line with no newline within this many bytes is rejected as oversized and the rest of it
// is skipped; the decoders reject records over 4 KiB anyway, this only bounds the memory a
// runaway writer can make the watcher hold.
constexpr size_t kMaxLineBytes = size_t{64} << 10;
constexpr size_t kReadChunk = size_t{256} << 10;  // > kMaxLineBytes: a whole line fits

struct Line {
  std::string_view bytes;        // without the newline and a trailing '\r'
  uint64_t offset = 0;           // of the line's first byte in the file
  const char* reject = nullptr;  // set when the line is refused before decoding
};

struct ReadResult {
  size_t lines = 0;
  bool at_end = false;  // every complete line was read (only a partial one may remain)
};

enum class Change { None, Truncated, Replaced };

class TailedFile {
 public:
  // Opens `path`; nullptr when it does not exist (any more). Throws std::runtime_error on
  // other errors (permissions, not a regular file).
  static std::unique_ptr<TailedFile> open(const std::string& path, Clock::time_point now);
  ~TailedFile();
  TailedFile(const TailedFile&) = delete;
  TailedFile& operator=(const TailedFile&) = delete;

  const FileId& id() const { return id_; }
  const std::string& path() const { return path_; }
  void set_path(const std::string& path) { path_ = path; }
  uint64_t committed() const { return committed_; }
  uint64_t read_offset() const { return read_; }
  uint64_t size() const { return size_; }  // as of the last refresh()

  // Continues from a saved position when `saved` still describes this file's content;
  // otherwise stays at offset 0 and returns why (truncated, inode reused).
  const char* resume(const FileState& saved);

  // Re-reads the size; starts over from offset 0 when the file got shorter than what was
  // read (truncated, copytruncate) or its first bytes changed (content replaced in place).
  Change refresh(Clock::time_point now);

  // Reads complete lines from the read offset, at most `max_lines`, calling `on_line` for
  // each (the view is valid during the call). A partial last line stays unread until its
  // newline arrives. Empty lines are skipped, as the batch reader does; so is a UTF-8
  // byte-order mark at offset 0. `scratch` is reused between calls.
  ReadResult read_lines(size_t max_lines, std::string& scratch, const std::function<void(const Line&)>& on_line);

  // For a file that will never grow again: the bytes after its last newline, a line the
  // writer never finished. True when there are such bytes (they are then consumed).
  bool take_partial_tail(std::string& scratch, Line& out);

  void commit();  // everything read so far was delivered
  void rewind();  // it was not: read again from the committed offset
  FileState state() const;

  // A file no longer found under the watched names (renamed away or deleted): read to its
  // end, then dropped once it has been quiet for a while.
  bool orphan() const { return orphan_; }
  void set_orphan(bool orphan, Clock::time_point now);
  Clock::time_point quiet_since() const;

 private:
  TailedFile(int fd, FileId id, std::string path, uint64_t size, Clock::time_point now);
  void start_over();
  void extend_fingerprint();

  int fd_;
  FileId id_;
  std::string path_;
  uint64_t committed_ = 0;
  uint64_t read_ = 0;
  uint64_t size_ = 0;
  bool skipping_ = false;            // discarding the rest of an oversized line
  bool committed_skipping_ = false;
  Fingerprint fingerprint_;
  bool orphan_ = false;
  Clock::time_point orphan_since_;
  Clock::time_point last_growth_;
};

}  // namespace clickagg::watch
