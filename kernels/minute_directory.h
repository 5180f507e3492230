// Where a batch's kept events count, known before the host has seen the batch's minutes, so
// that judging and phase 1 of the chunk pipeline (chunk_pipeline.h) run behind one
// synchronisation.
//
// The host lists the minutes an event of the next batch can count into: every minute with a
// fingerprint table (the minutes whose dedup state is alive, so the only ones a kept event of
// an earlier minute can have) and the minute after the newest, each with the room its table
// has at its load limit, grown first where the last batches suggest it needs more (the newest
// minute: the whole batch; the one after it and the others: twice their share of the batch
// before). The device then gives each kept event its entry (a binary search over the sorted
// minutes) and counts the events per entry; one thread compares the counts with the room and
// writes the bound every bounded kernel after it reads: the number of kept events where each
// has an entry with room, 0 where any has not. All or nothing: a batch that does not fit
// does nothing of phase 1, and its caller runs it after the synchronisation the usual way
// (sized exactly, two synchronisations), the tables being sized from it for the next batch.
//
// Entries of minutes that get no event cost a table the size of the room given; an empty
// table is dropped at the next prepare() unless it is the one after the newest again.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "host/engine/judge_rule.h"
#include "kernels/device_memory.h"
#include "kernels/device_window_table.h"
#include "kernels/system/runtime.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

// More minutes than this alive at once (hostile event times) and a batch is judged and
// counted the usual way: the chunk keys' minute bits stay few.
constexpr uint32_t kMaxDirectoryMinutes = 64;

class MinuteDirectory {
 public:
  explicit MinuteDirectory(sys::Stream stream);
  MinuteDirectory(const MinuteDirectory&) = delete;
  MinuteDirectory& operator=(const MinuteDirectory&) = delete;

  // Host: lists the minutes for a batch of n events, gives their tables room and queues their
  // upload. False (nothing queued) where no table exists yet or too many do.
  bool prepare(DeviceWindowTable& table, size_t n);
  // Device: the entry of each kept event of the n at d_t judged by `verdict` (local(), by batch
  // position), the events per entry and the bound; *d_kept is the number of kept events.
  void assign(const int64_t* d_t, const Verdict* verdict, const unsigned long long* d_kept, size_t n);
  // After the caller's synchronisation: whether every kept event had an entry with room.
  bool fit() const { return rb_[0].fit != 0; }
  // The minutes a batch's kept events counted into, with their events (the judgement's), for
  // sizing the next batch's tables.
  void remember(std::span<const int64_t> minutes, std::span<const uint32_t> events);

  std::span<const int64_t> minutes() const { return minutes_; }
  const FpTableRef* refs() const { return d_refs_.data(); }
  const uint32_t* local() const { return local_.data(); }
  const unsigned long long* bound() const { return bound_.data(); }

 private:
  sys::Stream stream_;
  std::vector<int64_t> minutes_;
  std::vector<int64_t> last_minutes_;
  std::vector<uint32_t> last_events_;
  PinnedArray<int64_t> minutes_h_;
  PinnedArray<FpTableRef> refs_h_;
  PinnedArray<unsigned long long> room_h_;
  DeviceArray<int64_t> d_minutes_;
  DeviceArray<FpTableRef> d_refs_;
  DeviceArray<unsigned long long> d_room_;
  DeviceArray<unsigned> hist_;  // per entry, then the events without one
  DeviceArray<uint32_t> local_;
  DeviceArray<unsigned long long> bound_;
  struct Readback {
    unsigned long long fit;
  };
  PinnedArray<Readback> rb_;
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
