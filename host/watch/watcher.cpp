#include "host/watch/watcher.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "host/common/log.h"

namespace clickagg::watch {

Watcher::Watcher(WatchOptions options, LineSink& sink, WatchProbe* probe)
    : o_(std::move(options)), sink_(sink), probe_(probe), files_(o_.glob, o_.rotate_wait, {o_.state_path, o_.state_path + ".tmp", o_.dead_letter_path}),
      decoder_(o_.format) {
  WatchState saved;
  const bool have_state = load_state(o_.state_path, saved);
  if (have_state) {
    files_.restore(saved);
    saved_text_ = encode_state(saved);
  }
  dead_letter_.emplace(o_.dead_letter_path, have_state ? std::optional<uint64_t>(saved.dead_letter_bytes)
                                                       : std::nullopt);
}

void Watcher::handle(const TailedFile& f, const Line& line) {
  const char* reason = line.reject;
  Event ev;
  if (!reason) reason = decoder_.into(ev, line.bytes);
  if (reason) {
    append_dead_letter(rejects_, f.path(), line.offset, reason, line.bytes);
    ++rejected_;
    return;
  }
  sink_.send(ev.ad_id, line.bytes);
  ++sent_;
  bytes_ += line.bytes.size();
}

StepResult Watcher::step() {
  const auto now = Clock::now();
  std::vector<std::string> notes;
  files_.scan(now, notes);
  for (const std::string& n : notes) log::info("watch", "%s", n.c_str());

  decoder_.release();
  rejects_.clear();
  sent_ = rejected_ = 0;
  bytes_ = 0;
  // Rotated-away files first, then the others starting at a rotating position, so one busy
  // file cannot starve the rest.
  std::vector<TailedFile*> order = files_.files();
  size_t orphans = 0;
  while (orphans < order.size() && order[orphans]->orphan()) ++orphans;
  if (order.size() > orphans) {
    const size_t live = order.size() - orphans;
    std::rotate(order.begin() + static_cast<std::ptrdiff_t>(orphans),
                order.begin() + static_cast<std::ptrdiff_t>(orphans + start_++ % live), order.end());
  }

  size_t lines = 0;
  std::vector<const TailedFile*> done;
  for (TailedFile* f : order) {
    if (lines >= o_.batch_size) break;
    const ReadResult r =
        f->read_lines(o_.batch_size - lines, scratch_, [&](const Line& line) { handle(*f, line); });
    lines += r.lines;
    if (r.at_end && files_.finished(*f, now)) {
      Line tail;
      if (f->take_partial_tail(tail_, tail)) {
        handle(*f, tail);
        ++lines;
      }
      done.push_back(f);
    }
  }

  if (sent_ > 0) {
    std::string why;
    if (!sink_.deliver(&why)) {
      log::warn("watch", "delivery failed, the batch is sent again: %s", why.c_str());
      files_.rewind();
      if (probe_) probe_->produce_errors.fetch_add(1);
      return StepResult{lines, false};
    }
  }
  dead_letter_->append(rejects_);  // synced before the state that covers it
  files_.commit();
  for (const TailedFile* f : done) {
    log::info("watch", "%s: finished (renamed or removed, read to its end)", f->path().c_str());
    files_.remove(f);
  }
  save_if_changed();
  publish(lines, bytes_, rejected_);
  return StepResult{lines, true};
}

void Watcher::save_if_changed() {
  WatchState s;
  s.dead_letter_bytes = dead_letter_->size();
  s.files = files_.state();
  std::string text = encode_state(s);
  if (text == saved_text_) return;
  save_state(o_.state_path, s);
  saved_text_ = std::move(text);
}

void Watcher::publish(size_t lines, uint64_t bytes, uint64_t rejects) {
  if (!probe_) return;
  if (lines > 0) probe_->batches.fetch_add(1);
  probe_->lines_sent.fetch_add(sent_);
  probe_->bytes_sent.fetch_add(bytes);
  probe_->rejected.fetch_add(rejects);
  probe_->files_tracked.store(files_.size());
  std::map<std::string, uint64_t> lag;
  for (const TailedFile* f : files_.files()) {
    lag[f->path()] += f->size() > f->committed() ? f->size() - f->committed() : 0;
  }
  probe_->set_lag(std::move(lag));
}

void Watcher::run(const std::atomic<bool>& stop) {
  constexpr auto kSlice = std::chrono::milliseconds(20);
  while (!stop.load()) {
    const StepResult r = step();
    std::chrono::milliseconds pause{0};
    if (!r.delivered) pause = o_.retry_backoff;
    else if (r.lines < o_.batch_size) pause = o_.poll_interval;  // caught up
    for (auto slept = std::chrono::milliseconds(0); slept < pause && !stop.load(); slept += kSlice) {
      std::this_thread::sleep_for(std::min(kSlice, pause - slept));
    }
  }
}

}  // namespace clickagg::watch
