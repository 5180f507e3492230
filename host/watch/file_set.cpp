#include "host/watch/file_set.h"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>

namespace clickagg::watch {

namespace {

std::vector<std::string> glob_paths(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  // GLOB_NOMATCH: nothing there yet; GLOB_ABORTED: an unreadable directory, retried next scan.
  return out;
}

std::string parent_dir(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

std::string canonical_path(const std::string& path) {
  std::error_code ec;
  const auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
  return ec ? path : p.string();
}

}  // namespace

FileSet::FileSet(std::string glob, std::chrono::milliseconds rotate_wait, const std::vector<std::string>& exclude)
    : glob_(std::move(glob)), rotate_wait_(rotate_wait) {
  for (const std::string& p : exclude) {
    exclude_names_.insert(std::filesystem::path(p).filename().string());
    exclude_.insert(canonical_path(p));
  }
}

bool FileSet::excluded(const std::string& path) const {
  return exclude_names_.contains(std::filesystem::path(path).filename().string()) &&
         exclude_.contains(canonical_path(path));
}

void FileSet::restore(const WatchState& state) {
  for (const FileState& f : state.files) saved_[f.id] = f;
}

void FileSet::adopt(std::unique_ptr<TailedFile> f, std::vector<std::string>& notes, bool orphan,
                    Clock::time_point now) {
  const auto saved = saved_.find(f->id());
  if (saved != saved_.end()) {
    if (const char* why = f->resume(saved->second)) {
      notes.push_back(f->path() + ": reading from the start: " + why);
    } else if (f->committed() > 0) {
      notes.push_back(f->path() + ": resuming at byte " + std::to_string(f->committed()));
    }
    saved_.erase(saved);
  } else {
    notes.push_back(f->path() + ": new file, reading from the start");
  }
  f->set_orphan(orphan, now);
  const FileId id = f->id();
  files_.emplace(id, std::move(f));
}

void FileSet::scan(Clock::time_point now, std::vector<std::string>& notes) {
  std::set<FileId> seen;
  for (const std::string& path : glob_paths(glob_)) {
    if (excluded(path)) continue;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (auto it = files_.find(file_id(st)); it != files_.end()) {
      it->second->set_path(path);
      it->second->set_orphan(false, now);
      seen.insert(it->first);
      continue;
    }
    std::unique_ptr<TailedFile> f;
    try {
      f = TailedFile::open(path, now);
      complained_.erase(path);
    } catch (const std::runtime_error& e) {
      if (complained_.insert(path).second) notes.push_back(std::string(e.what()) + " (retrying)");
      continue;
    }
    if (!f) continue;  // gone between glob and open
    // The identity of what was opened: the name may have moved on to another file since.
    seen.insert(f->id());
    if (files_.contains(f->id())) continue;
    adopt(std::move(f), notes, false, now);
  }
  for (auto& [id, f] : files_) {
    if (!seen.contains(id) && !f->orphan()) {
      f->set_orphan(true, now);
      notes.push_back(f->path() + ": renamed or removed; reading it to its end");
    }
  }
  if (!saved_.empty()) find_rotated_while_down(now, notes);
  for (auto& [id, f] : files_) {
    const Change c = f->refresh(now);
    if (c == Change::Truncated) notes.push_back(f->path() + ": truncated; reading from the start");
    if (c == Change::Replaced) notes.push_back(f->path() + ": content replaced; reading from the start");
  }
}

// Runs once, after the first scan: saved files the pattern no longer matches were renamed
// (or removed) while the watcher was down. A rotation renames within the directory, so the
// file is looked for there by identity; its unread tail is still owed downstream.
void FileSet::find_rotated_while_down(Clock::time_point now, std::vector<std::string>& notes) {
  std::map<std::string, std::vector<FileId>> by_dir;
  for (const auto& [id, s] : saved_) by_dir[parent_dir(s.path)].push_back(id);
  for (const auto& [dir, ids] : by_dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    while (const dirent* e = ::readdir(d)) {
      struct stat st {};
      if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
      const FileId id = file_id(st);
      if (!saved_.contains(id) || files_.contains(id)) continue;
      const std::string path = dir + "/" + e->d_name;
      std::unique_ptr<TailedFile> f;
      try {
        f = TailedFile::open(path, now);
      } catch (const std::runtime_error& err) {
        notes.push_back(err.what());
        continue;
      }
      if (!f || f->id() != id) continue;
      notes.push_back(saved_.at(id).path + ": found renamed to " + path + "; reading it to its end");
      adopt(std::move(f), notes, true, now);
    }
    ::closedir(d);
  }
  for (const auto& [id, s] : saved_) {
    notes.push_back(s.path + " (" + to_string(id) + "): removed while the watcher was stopped; lines after byte " +
                    std::to_string(s.offset) + ", if it had any, were not read");
  }
  saved_.clear();
}

std::vector<TailedFile*> FileSet::files() const {
  std::vector<TailedFile*> out;
  for (const auto& [id, f] : files_) out.push_back(f.get());
  std::stable_sort(out.begin(), out.end(), [](const TailedFile* a, const TailedFile* b) {
    if (a->orphan() != b->orphan()) return a->orphan();
    if (a->orphan()) return a->quiet_since() < b->quiet_since();
    return a->path() < b->path();
  });
  return out;
}

bool FileSet::finished(const TailedFile& f, Clock::time_point now) const {
  return f.orphan() && now - f.quiet_since() >= rotate_wait_;
}

void FileSet::remove(const TailedFile* f) { files_.erase(f->id()); }

void FileSet::commit() {
  for (auto& [id, f] : files_) f->commit();
}

void FileSet::rewind() {
  for (auto& [id, f] : files_) f->rewind();
}

std::vector<FileState> FileSet::state() const {
  std::vector<FileState> out;
  for (const auto& [id, f] : files_) out.push_back(f->state());
  // Saved positions not yet matched (before the first scan) stay owed.
  for (const auto& [id, s] : saved_) out.push_back(s);
  return out;
}

}  // namespace clickagg::watch
