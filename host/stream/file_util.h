// Durable file writes: all-or-nothing replacement (temp file, fsync, rename, fsync of the
// directory) and appends that reach the disk before the caller goes on.
#pragma once
#include <string>
#include <string_view>

namespace clickagg::stream {

// Replaces `path` with `bytes` atomically: a crash leaves the old or the new file, whole.
void write_file_atomic(const std::string& path, std::string_view bytes);
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

}  // namespace clickagg::stream
