#include "host/archive/archive_writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "host/common/log.h"
#include "host/decode/timestamp.h"

namespace clickagg::archive {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void sys_fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

// New directory entries reach the disk only when their directory is synced.
void sync_dir(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) sys_fail("cannot open directory", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) sys_fail("cannot sync directory", path);
}

void truncate_durably(const std::string& path, uint64_t length) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) sys_fail("cannot open", path);
  const bool ok = ::ftruncate(fd, static_cast<off_t>(length)) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) sys_fail("cannot truncate", path);
}

}  // namespace

ArchiveWriter::ArchiveWriter(ArchiveConfig config, ArchiveProbe* probe)
    : cfg_(std::move(config)), probe_(probe ? probe : &own_probe_), decoder_(cfg_.format) {
  if (!is_supported_codec(cfg_.codec)) throw std::invalid_argument("unsupported Avro codec '" + cfg_.codec + "'");
  if (cfg_.max_open_files == 0) cfg_.max_open_files = 1;
  fs::create_directories(cfg_.dir);
  // One archiver per directory: a second one would delete the first one's new files as
  // uncommitted. The kernel drops the lock with the process, however it ends.
  const std::string lock_path = (fs::path(cfg_.dir) / "_archive.lock").string();
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) sys_fail("cannot open", lock_path);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    throw std::runtime_error("archive directory " + cfg_.dir + " is in use by another archiver");
  }
  // A file can pass its cap by one block: with a small cap, blocks get smaller too.
  cfg_.block_bytes = std::clamp<size_t>(cfg_.block_bytes, 1, std::max<uint64_t>(cfg_.max_file_bytes / 4, 4096));
  try {
    recover();
  } catch (...) {
    ::close(lock_fd_);
    throw;
  }
}

ArchiveWriter::~ArchiveWriter() {
  open_.clear();  // closes the files before the lock goes
  ::close(lock_fd_);
}

void ArchiveWriter::recover() {
  const std::string& dir = cfg_.dir;
  std::optional<ArchiveState> loaded = load_archive_state(dir);
  const std::vector<HourDir> hours = list_hour_dirs(dir, INT64_MIN, INT64_MAX);
  if (!loaded) {
    // Without the state nothing tells committed files from torn ones: never guess.
    for (const HourDir& h : hours)
      if (!list_data_files((fs::path(dir) / h.rel_path).string()).empty())
        throw std::runtime_error("archive directory " + dir + " holds data files but no " + state_path(dir) +
                                 "; refusing to touch them");
    state_.topic = cfg_.topic;
  } else {
    state_ = std::move(*loaded);
    if (state_.topic != cfg_.topic)
      throw std::runtime_error("archive directory " + dir + " holds topic '" + state_.topic + "', not '" +
                               cfg_.topic + "'");
  }

  // Undo what the last commit does not cover, and seal the files that were open.
  size_t cut = 0, removed = 0;
  for (const HourDir& h : hours) {
    const std::string hour_path = (fs::path(dir) / h.rel_path).string();
    for (const std::string& name : list_data_files(hour_path)) {
      const std::string path = hour_path + "/" + name;
      const auto committed = state_.committed_bytes(h.rel_path + "/" + name, *parse_data_file_name(name));
      if (!committed) {
        fs::remove(path);
        dirs_to_sync_.insert(hour_path);
        ++removed;
      } else if (*committed != UINT64_MAX) {
        const uint64_t size = fs::file_size(path);
        if (size < *committed)
          throw std::runtime_error("archive file " + path + " is shorter (" + std::to_string(size) +
                                   " bytes) than its committed length " + std::to_string(*committed));
        if (size > *committed) {
          truncate_durably(path, *committed);
          ++cut;
        }
      }
    }
  }
  const std::string dl = dead_letter_path(dir);
  const uint64_t dl_size = fs::exists(dl) ? fs::file_size(dl) : 0;
  if (dl_size < state_.dead_letter_bytes)
    throw std::runtime_error("dead-letter file " + dl + " is shorter than its committed length " +
                             std::to_string(state_.dead_letter_bytes));
  if (cut || removed || dl_size > state_.dead_letter_bytes)
    log::info("archive", "recovered to commit %llu: %zu files cut back, %zu uncommitted files removed%s",
              static_cast<unsigned long long>(state_.commits), cut, removed,
              dl_size > state_.dead_letter_bytes ? ", dead letters cut back" : "");
  dead_letters_ = io::DurableAppender(dl, state_.dead_letter_bytes);
  for (const std::string& d : dirs_to_sync_) sync_dir(d);
  dirs_to_sync_.clear();
  state_.open_files.clear();
  save_archive_state(dir, state_);
  next_offset_ = state_.next_offset;
}

void ArchiveWriter::note_new_dir(const std::string& path) { dirs_to_sync_.insert(path); }

ArchiveWriter::OpenFile& ArchiveWriter::file_for(uint32_t partition, int64_t hour, int64_t offset) {
  const FileKey key{partition, hour};
  auto it = open_.find(key);
  if (it != open_.end()) return it->second;
  if (open_.size() >= cfg_.max_open_files) {
    auto lru = open_.begin();
    for (auto i = open_.begin(); i != open_.end(); ++i)
      if (i->second.last_used < lru->second.last_used) lru = i;
    close_file(lru);
  }
  const std::string rel_dir = hour_dir_name(hour);
  const fs::path hour_path = fs::path(cfg_.dir) / rel_dir;
  fs::create_directories(hour_path);
  // The file's entry, its hour directory's entry and its day directory's entry.
  note_new_dir(hour_path.string());
  note_new_dir(hour_path.parent_path().string());
  note_new_dir(cfg_.dir);
  const std::string name = data_file_name(partition, static_cast<uint64_t>(offset));
  OpenFile f;
  f.rel_path = rel_dir + "/" + name;
  f.writer = std::make_unique<DataFileWriter>((hour_path / name).string(), cfg_.codec, cfg_.block_bytes);
  probe_->files_created.fetch_add(1, std::memory_order_relaxed);
  probe_->open_files.store(open_.size() + 1, std::memory_order_relaxed);
  return open_.emplace(key, std::move(f)).first->second;
}

void ArchiveWriter::close_file(std::map<FileKey, OpenFile>::iterator it) {
  OpenFile& f = it->second;
  // Durable and whole before it leaves the open list: the next commit records it as sealed.
  if (f.dirty) {
    const uint64_t len = f.writer->sync();
    probe_->committed_bytes.fetch_add(len - f.committed, std::memory_order_relaxed);
  }
  open_.erase(it);
  probe_->open_files.store(open_.size(), std::memory_order_relaxed);
}

void ArchiveWriter::add(uint32_t partition, int64_t offset, std::string_view record, const EventTimeBound& bound) {
  probe_->records.fetch_add(1, std::memory_order_relaxed);
  const auto next = next_offset_.find(partition);
  if (next != next_offset_.end() && offset < next->second) {
    probe_->skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  decoder_.release();
  Event ev;
  if (const DecodeStatus reason = decoder_.into(ev, record, bound)) {
    dead_letter_buf_ += "partition " + std::to_string(partition) + " offset " + std::to_string(offset) + ": " +
                        reason + "\n";
    probe_->rejected.fetch_add(1, std::memory_order_relaxed);
  } else if (ev.t_ms < 0 || ev.t_ms > kMaxEventTimeMs) {
    // Decoders accept only this range; the hour directories hold four-digit years.
    dead_letter_buf_ += "partition " + std::to_string(partition) + " offset " + std::to_string(offset) +
                        ": event time outside the archive's range\n";
    probe_->rejected.fetch_add(1, std::memory_order_relaxed);
  } else {
    const int64_t hour = hour_of(ev.t_ms);
    OpenFile& f = file_for(partition, hour, offset);
    f.writer->append(ev, partition, offset);
    f.dirty = true;
    f.last_used = ++adds_;
    f.last_commit_used = state_.commits;
    probe_->archived.fetch_add(1, std::memory_order_relaxed);
    if (f.writer->bytes() >= cfg_.max_file_bytes) close_file(open_.find(FileKey{partition, hour}));
  }
  next_offset_[partition] = offset + 1;
}

void ArchiveWriter::commit() {
  const auto t0 = std::chrono::steady_clock::now();
  ArchiveState next = state_;
  next.open_files.clear();
  for (auto& [key, f] : open_) {
    if (f.dirty) {
      const uint64_t len = f.writer->sync();
      probe_->committed_bytes.fetch_add(len - f.committed, std::memory_order_relaxed);
      f.committed = len;
      f.dirty = false;
    }
    next.open_files[f.rel_path] = f.committed;
  }
  for (const std::string& d : dirs_to_sync_) sync_dir(d);
  dirs_to_sync_.clear();
  if (!dead_letter_buf_.empty()) {
    dead_letters_.append(dead_letter_buf_);
    next.dead_letter_bytes += dead_letter_buf_.size();
    dead_letter_buf_.clear();
  }
  next.next_offset = next_offset_;
  ++next.commits;
  save_archive_state(cfg_.dir, next);
  state_ = std::move(next);

  // Files that went quiet are closed; being clean, they are whole as committed, and the next
  // commit no longer lists them.
  for (auto it = open_.begin(); it != open_.end();) {
    auto cur = it++;
    if (state_.commits - cur->second.last_commit_used > cfg_.idle_commits) close_file(cur);
  }
  probe_->commits.fetch_add(1, std::memory_order_relaxed);
  probe_->last_commit_seconds.store(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                                    std::memory_order_relaxed);
}

}  // namespace clickagg::archive
