#include "host/watch/tailed_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace clickagg::watch {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr const char* kOversized = "oversized line (over 65536 bytes; the rest is skipped)";

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

// pread until `len` bytes or the end of the file; returns the count.
size_t read_at(int fd, char* buf, size_t len, uint64_t offset, const std::string& path) {
  size_t got = 0;
  while (got < len) {
    const ssize_t n = ::pread(fd, buf + got, len - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot read", path);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

}  // namespace

std::unique_ptr<TailedFile> TailedFile::open(const std::string& path, Clock::time_point now) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return nullptr;
    fail("cannot open", path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    fail("cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw std::runtime_error(path + " is not a regular file");
  }
  std::unique_ptr<TailedFile> f(new TailedFile(fd, file_id(st), path, static_cast<uint64_t>(st.st_size), now));
  f->extend_fingerprint();
  return f;
}

TailedFile::TailedFile(int fd, FileId id, std::string path, uint64_t size, Clock::time_point now)
    : fd_(fd), id_(id), path_(std::move(path)), size_(size), last_growth_(now) {}

TailedFile::~TailedFile() { ::close(fd_); }

const char* TailedFile::resume(const FileState& saved) {
  if (size_ < saved.offset) return "it is shorter than the saved offset (truncated)";
  if (saved.fingerprint.len > 0) {
    const auto now = fingerprint_of(fd_, saved.fingerprint.len);
    if (!now || !(*now == saved.fingerprint))
      return "its first bytes differ from the saved fingerprint (a new file on a reused inode)";
  }
  committed_ = read_ = saved.offset;
  committed_skipping_ = skipping_ = saved.skipping;
  if (saved.fingerprint.len > fingerprint_.len) fingerprint_ = saved.fingerprint;
  return nullptr;
}

void TailedFile::start_over() {
  committed_ = read_ = 0;
  committed_skipping_ = skipping_ = false;
  fingerprint_ = {};
}

void TailedFile::extend_fingerprint() {
  if (fingerprint_.len >= kFingerprintBytes || size_ <= fingerprint_.len) return;
  const auto len = static_cast<uint32_t>(std::min<uint64_t>(size_, kFingerprintBytes));
  // nullopt: truncated since the fstat; the next refresh() sees it.
  if (auto fp = fingerprint_of(fd_, len)) fingerprint_ = *fp;
}

Change TailedFile::refresh(Clock::time_point now) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail("cannot stat", path_);
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size != size_) last_growth_ = now;
  size_ = size;
  Change change = Change::None;
  if (size_ < read_) {
    change = Change::Truncated;
  } else if (fingerprint_.len > 0) {
    const auto fp = fingerprint_of(fd_, fingerprint_.len);
    if (!fp) change = Change::Truncated;
    else if (!(*fp == fingerprint_)) change = Change::Replaced;
  }
  if (change != Change::None) start_over();
  extend_fingerprint();
  return change;
}

ReadResult TailedFile::read_lines(size_t max_lines, std::string& scratch,
                                  const std::function<void(const Line&)>& on_line) {
  ReadResult r;
  scratch.resize(kReadChunk);
  while (r.lines < max_lines) {
    // Every read starts at a line boundary (or inside a line being skipped).
    const size_t n = read_at(fd_, scratch.data(), kReadChunk, read_, path_);
    if (n == 0) {
      r.at_end = true;
      break;
    }
    const char* buf = scratch.data();
    size_t pos = 0;
    if (skipping_) {
      const auto* nl = static_cast<const char*>(std::memchr(buf, '\n', n));
      if (!nl) {
        read_ += n;
        continue;
      }
      read_ += static_cast<uint64_t>(nl - buf) + 1;
      skipping_ = false;
      continue;
    }
    if (read_ == 0 && std::string_view(buf, n).starts_with(kUtf8Bom)) pos = kUtf8Bom.size();
    while (r.lines < max_lines && pos < n) {
      const auto* nl = static_cast<const char*>(std::memchr(buf + pos, '\n', n - pos));
      if (!nl) break;
      const size_t end = static_cast<size_t>(nl - buf);
      size_t len = end - pos;
      if (len > 0 && buf[end - 1] == '\r') --len;
      if (len > kMaxLineBytes) {
        on_line(Line{std::string_view(buf + pos, kMaxLineBytes), read_ + pos, kOversized});
        ++r.lines;
      } else if (len > 0) {
        on_line(Line{std::string_view(buf + pos, len), read_ + pos, nullptr});
        ++r.lines;
      }
      pos = end + 1;
    }
    if (r.lines < max_lines && n - pos >= kMaxLineBytes && !std::memchr(buf + pos, '\n', n - pos)) {
      // No newline in kMaxLineBytes from the start of a line: refuse it, skip the rest.
      on_line(Line{std::string_view(buf + pos, kMaxLineBytes), read_ + pos, kOversized});
      ++r.lines;
      read_ += pos + kMaxLineBytes;
      skipping_ = true;
      continue;
    }
    read_ += pos;
    if (r.lines >= max_lines) break;
    if (n < kReadChunk) {  // the end of the file: what is left is a partial line
      r.at_end = true;
      break;
    }
  }
  return r;
}

bool TailedFile::take_partial_tail(std::string& scratch, Line& out) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail("cannot stat", path_);
  const auto end = static_cast<uint64_t>(st.st_size);
  if (end <= read_) return false;
  if (skipping_) {  // the rest of a line already refused as oversized
    read_ = end;
    skipping_ = false;
    return false;
  }
  // Shorter than kMaxLineBytes, or read_lines() would have refused it already.
  const size_t len = static_cast<size_t>(std::min<uint64_t>(end - read_, kMaxLineBytes));
  scratch.resize(len);
  const size_t n = read_at(fd_, scratch.data(), len, read_, path_);
  // A newline means the file grew after all: those are complete lines for read_lines().
  if (std::memchr(scratch.data(), '\n', n) != nullptr) return false;
  out = Line{std::string_view(scratch.data(), n), read_,
             "incomplete last line (no newline before the file was rotated or removed)"};
  read_ = end;
  return true;
}

void TailedFile::commit() {
  committed_ = read_;
  committed_skipping_ = skipping_;
}

void TailedFile::rewind() {
  read_ = committed_;
  skipping_ = committed_skipping_;
}

FileState TailedFile::state() const {
  return FileState{path_, id_, committed_, fingerprint_, committed_skipping_};
}

void TailedFile::set_orphan(bool orphan, Clock::time_point now) {
  if (orphan && !orphan_) orphan_since_ = now;
  orphan_ = orphan;
}

Clock::time_point TailedFile::quiet_since() const { return std::max(orphan_since_, last_growth_); }

}  // namespace clickagg::watch
