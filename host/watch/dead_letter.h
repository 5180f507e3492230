// The dead-letter file: one line per rejected input line, tab-separated and escaped so that
// any bytes fit on one line:
//   FILE <TAB> BYTE_OFFSET <TAB> REASON <TAB> LINE
// In FILE, REASON and LINE a backslash is written "\\", tab "\t", newline "\n", carriage
// return "\r", and every other byte outside printable ASCII "\xNN" (two lower-case hex
// digits), so the original bytes can be recovered exactly.
//
// Entries of a batch are appended (and synced) before the watch state that covers them is
// saved, and the state records the file's length; after a crash the file is cut back to that
// length and the lines are rejected again, so every rejected line is listed exactly once.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "host/io/durable_file.h"

namespace clickagg::watch {

void append_escaped(std::string& out, std::string_view bytes);
// One entry, with its newline.
void append_dead_letter(std::string& out, std::string_view file, uint64_t offset, std::string_view reason,
                        std::string_view line);

class DeadLetterFile {
 public:
  // Opens (creating) `path`. With `committed_bytes` (from the saved state) a longer file is
  // cut back to it, dropping entries of a batch that was never committed; without (no state
  // yet) new entries are appended to whatever is there.
  DeadLetterFile(const std::string& path, std::optional<uint64_t> committed_bytes);
  // Appends and syncs; returns the new length.
  uint64_t append(std::string_view entries);
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  io::DurableAppender file_;
  uint64_t size_ = 0;
};

}  // namespace clickagg::watch
