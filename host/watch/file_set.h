// The set of files being tailed: everything a glob pattern matches, files that appear later,
// and files renamed or removed out of the pattern, which are read to their end before they
// are let go. Files are told apart by (device, inode), never by name, so a rename followed
// by a new file under the old name (log rotation) is two files, each read once.
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "host/watch/tailed_file.h"
#include "host/watch/watch_state.h"

namespace clickagg::watch {

class FileSet {
 public:
  // `glob`: a glob(7) pattern such as "/var/log/app/*.log". A file that left the pattern is
  // dropped once read to its end and unchanged for `rotate_wait` (writers often finish a
  // last line into the old file after the rename).
  // `exclude`: the watcher's own files (state, its temp file, dead letters), never tailed
  // even when the pattern matches them.
  FileSet(std::string glob, std::chrono::milliseconds rotate_wait, const std::vector<std::string>& exclude = {});

  // Positions saved by an earlier run; the next scan() matches them to files by identity:
  // under the pattern, or else (a rotation while the watcher was down) in the directory
  // the file was last seen in.
  void restore(const WatchState& state);

  // Finds new files, notices renamed, removed, truncated and replaced ones. Lines for the
  // operator's log go to `notes`.
  void scan(Clock::time_point now, std::vector<std::string>& notes);

  // In reading order: files that left the pattern first (a rotated file is finished before
  // its successor starts), then the others by name.
  std::vector<TailedFile*> files() const;
  size_t size() const { return files_.size(); }
  // Left the pattern and quiet for rotate_wait: once read to its end it can be dropped.
  bool finished(const TailedFile& f, Clock::time_point now) const;
  void remove(const TailedFile* f);

  void commit();
  void rewind();
  std::vector<FileState> state() const;

 private:
  void adopt(std::unique_ptr<TailedFile> f, std::vector<std::string>& notes, bool orphan, Clock::time_point now);
  void find_rotated_while_down(Clock::time_point now, std::vector<std::string>& notes);
  bool excluded(const std::string& path) const;

  std::string glob_;
  std::chrono::milliseconds rotate_wait_;
  std::map<FileId, std::unique_ptr<TailedFile>> files_;
  std::map<FileId, FileState> saved_;    // restored, not yet matched to a file
  std::set<std::string> complained_;     // paths already reported as unreadable
  std::set<std::string> exclude_names_;  // file names of the excluded paths (a cheap first test)
  std::set<std::string> exclude_;        // the excluded paths, made absolute and canonical
};

}  // namespace clickagg::watch
