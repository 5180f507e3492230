// What `clickagg watch` keeps on disk between runs: for every file it tails, where the next
// unsent byte is, and how long the dead-letter file was when that was true. Written
// atomically (temp file, fsync, rename) after the broker acknowledged every line before the
// saved offsets, so a restart resends at most the lines of one unfinished batch.
//
// Format (JSON, version 1):
//   {"version":1,"dead_letter_bytes":N,
//    "files":[{"path":"/var/log/app/a.log","dev":2049,"ino":131,"offset":4096,
//              "fingerprint_len":1024,"fingerprint":"<32 hex digits>","skipping":false}]}
// `path` is the name the file had when last seen (informational once it is renamed);
// `skipping` is set while the rest of an oversized line is being discarded.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "host/watch/file_identity.h"

namespace clickagg::watch {

struct FileState {
  std::string path;
  FileId id;
  uint64_t offset = 0;
  Fingerprint fingerprint;
  bool skipping = false;
  bool operator==(const FileState&) const = default;
};

struct WatchState {
  uint64_t dead_letter_bytes = 0;
  std::vector<FileState> files;
  bool operator==(const WatchState&) const = default;
};

std::string encode_state(const WatchState& state);
// Throws std::runtime_error naming what is wrong with the text.
WatchState decode_state(std::string_view text);

// False when `path` does not exist; throws when it exists but cannot be read or parsed.
bool load_state(const std::string& path, WatchState& out);
// All or nothing: a crash leaves the previous state or this one.
void save_state(const std::string& path, const WatchState& state);

}  // namespace clickagg::watch
