// Helpers for the watcher's tests: real files in a temp dir, written the ways log writers
// and rotators do, click lines with known ad ids, and a line sink that records what it got
// (the tests here are about files; Kafka has its own tests against a real broker).
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/watch/line_sink.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::watch::testing {

using clickagg::testing::TempDir;

// A valid log line (no newline) for click `i`, ad id "ad<i % 7>".
inline std::string click(int i) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "[AdClickEvent] ad%d, 2021-01-01 00:%02d:%02d, user %d, 10.0.%d.%d, US", i % 7,
                (i / 60) % 60, i % 60, i, (i >> 8) & 255, i & 255);
  return buf;
}
inline std::string ad_of(int i) { return "ad" + std::to_string(i % 7); }

inline std::string clicks(int from, int to) {  // lines from..to-1, each with its newline
  std::string s;
  for (int i = from; i < to; ++i) s += click(i) + "\n";
  return s;
}

// An append-mode descriptor, like a logger's: it keeps writing to the same file after a
// rename.
class Writer {
 public:
  explicit Writer(const std::string& path) : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
    EXPECT_GE(fd_, 0) << path;
  }
  ~Writer() {
    if (fd_ >= 0) ::close(fd_);
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  void write(std::string_view bytes) {
    ASSERT_EQ(::write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

 private:
  int fd_;
};

inline void append(const std::string& path, std::string_view bytes) { Writer(path).write(bytes); }
inline void truncate_file(const std::string& path, off_t size = 0) { ASSERT_EQ(::truncate(path.c_str(), size), 0); }
inline void rename_file(const std::string& from, const std::string& to) {
  ASSERT_EQ(::rename(from.c_str(), to.c_str()), 0);
}
inline uint64_t inode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_ino;
}
inline std::string read_all(const std::string& path) {
  std::string out;
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

// Records delivered lines; can be told to fail the next deliveries.
class RecordingSink : public LineSink {
 public:
  void send(std::string_view key, std::string_view line) override { pending_.emplace_back(key, line); }
  bool deliver(std::string* why) override {
    ++rounds;
    if (fail_next > 0) {
      --fail_next;
      failed_sends += pending_.size();
      pending_.clear();
      if (why) *why = "injected failure";
      return false;
    }
    for (auto& p : pending_) delivered.push_back(std::move(p));
    pending_.clear();
    return true;
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (const auto& [k, l] : delivered) out.push_back(l);
    return out;
  }

  std::vector<std::pair<std::string, std::string>> delivered;  // (key, line)
  int fail_next = 0;
  size_t failed_sends = 0;
  int rounds = 0;

 private:
  std::vector<std::pair<std::string, std::string>> pending_;
};

inline std::vector<std::string> click_lines(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(click(i));
  return out;
}

}  // namespace clickagg::watch::testing
