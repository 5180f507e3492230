#include "host/watch/file_identity.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace clickagg::watch {

namespace {
constexpr uint64_t kFingerprintSeed = 0x77617463682d6670ULL;  // any fixed value: it is stored
}

FileId file_id(const struct stat& st) {
  return FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

std::string to_string(const FileId& id) { return std::to_string(id.dev) + ":" + std::to_string(id.ino); }

std::optional<Fingerprint> fingerprint_of(int fd, uint32_t len) {
  char buf[kFingerprintBytes];
  if (len > sizeof buf) throw std::invalid_argument("fingerprint longer than 1 KiB");
  size_t got = 0;
  while (got < len) {
    const ssize_t n = ::pread(fd, buf + got, len - got, static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("cannot read a tailed file: ") + std::strerror(errno));
    }
    if (n == 0) return std::nullopt;  // shorter than len: not the file the fingerprint is of
    got += static_cast<size_t>(n);
  }
  return Fingerprint{len, hash128(buf, len, kFingerprintSeed)};
}

std::string hash_to_hex(const Hash128& h) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.hi),
                static_cast<unsigned long long>(h.lo));
  return buf;
}

std::optional<Hash128> hash_from_hex(const std::string& text) {
  if (text.size() != 32) return std::nullopt;
  Hash128 h;
  const char* p = text.data();
  for (uint64_t* part : {&h.hi, &h.lo}) {
    const auto r = std::from_chars(p, p + 16, *part, 16);
    if (r.ec != std::errc() || r.ptr != p + 16) return std::nullopt;
    p += 16;
  }
  return h;
}

}  // namespace clickagg::watch
