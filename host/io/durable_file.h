// Durable file writes: all-or-nothing replacement (temp file, fsync, rename, fsync of the
// directory) and appends that reach the disk before the caller goes on.
#pragma once
#include <string>
#include <string_view>

namespace clickagg::io {

// Replaces `path` with `bytes` atomically: a crash leaves the old or the new file, whole.
void write_file_atomic(const std::string& path, std::string_view bytes);

// The same replacement for a file produced piece by piece (a large one never sits in memory
// whole): written to a temp file, then commit() syncs it and renames it over `path`. Not
// committed (an exception on the way): the temp file is removed and `path` stays as it was.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  void write(std::string_view bytes);
  void commit();

 private:
  std::string path_, tmp_;
  int fd_ = -1;
};
// Whole file, or nullopt-like empty + false when it does not exist. Throws on read errors.
bool read_file(const std::string& path, std::string& out);

class DurableAppender {
 public:
  DurableAppender() = default;
  // Opens (creating) `path`, truncated to `keep_bytes` (drops a torn tail).
  DurableAppender(const std::string& path, uint64_t keep_bytes);
  ~DurableAppender();
  DurableAppender(DurableAppender&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  DurableAppender& operator=(DurableAppender&& o) noexcept;
  // Appends and fdatasyncs.
  void append(std::string_view bytes);

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace clickagg::io
