// How a tailed file is recognised: by (device, inode), which stays with the file through a
// rename, plus a fingerprint of its first bytes, which tells a file apart from a later one
// that got the same inode number after the first was deleted (inode reuse) and notices a
// file whose content was replaced in place.
#pragma once
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "host/common/hash128.h"

namespace clickagg::watch {

struct FileId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator==(const FileId&) const = default;
  auto operator<=>(const FileId&) const = default;
};
FileId file_id(const struct stat& st);
std::string to_string(const FileId& id);  // "dev:ino", for messages

// Log lines start with a timestamp and an ad id, so 1 KiB tells files apart in practice;
// more would only cost reads on every poll.
constexpr uint32_t kFingerprintBytes = 1024;

// Hash of the first `len` bytes of a file (len 0: nothing known yet).
struct Fingerprint {
  uint32_t len = 0;
  Hash128 hash;
  bool operator==(const Fingerprint& o) const { return len == o.len && hash == o.hash; }
};

// The fingerprint of the first `len` bytes of `fd`, or nullopt when the file is shorter.
// Throws std::runtime_error on read errors.
std::optional<Fingerprint> fingerprint_of(int fd, uint32_t len);

std::string hash_to_hex(const Hash128& h);
std::optional<Hash128> hash_from_hex(const std::string& text);

}  // namespace clickagg::watch
