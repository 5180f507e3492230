// A batch's watermark judgement on the device (the rule: host/engine/judge_rule.h), equal to
// the host's HostJudge (host/engine/batch_judge.h) for the same input.
//
// Per call, over the batch's n event times (device memory):
//   1. an exclusive max-scan of the times seeded with the partition's largest time before the
//      call gives every event the largest time before it, hence its watermark;
//   2. judge: each event's verdict; flags for the events dropped late and for each counted
//      event whose minute differs from the event's before it (a run start: events arrive
//      mostly in time order, so runs are few);
//   3. two exclusive sums number the flagged events, and a compaction writes, in event order,
//      the dropped events (position, watermark), the run starts' minutes and the positions of
//      the events kept (what the dictionary and the rows read);
//   4. the host reads both counts and up to kJudgeReadback entries of each list in one
//      synchronisation (the rest, for hostile input only, in a second), sorts and uniques
//      the run minutes into the batch's counted minutes, adds up each minute's kept events
//      from its runs' lengths (each run start comes back with its kept position), and uploads
//      the minutes;
//   5. local: each counted event's minute index, by binary search in those minutes.
// Within one minute a dropped event is never followed by a counted one (the watermark only
// rises), so the run starts among counted events name every counted minute.
#pragma once
#include <cstdint>
#include <vector>

#include "host/engine/batch_judge.h"
#include "kernels/device_memory.h"
#include "kernels/system/algorithms.h"
#include "kernels/system/runtime.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

constexpr uint32_t kJudgeReadback = 4096;

class DeviceJudge {
 public:
  DeviceJudge(sys::Stream stream, unsigned* d_error);
  DeviceJudge(const DeviceJudge&) = delete;
  DeviceJudge& operator=(const DeviceJudge&) = delete;

  // Judges the n times at d_t (device memory, read until the call returns) under `rule`:
  // fills out's minutes, dropped and end_max, and its range [0, n); out's verdict and local
  // arrays are left null: the per-event results stay on the device, valid until the next call
  // (the index kernel may still be running: read them in the stream's order).
  void judge(const int64_t* d_t, size_t n, const JudgeRule& rule, BatchJudgement& out);
  // judge() in three steps, for a caller that makes the synchronisation itself: queue()
  // queues steps 1-3 and the readback; after the caller's synchronisation, collect() fills
  // `out` (step 4) and index() queues step 5 (local() is valid after it only).
  void queue(const int64_t* d_t, size_t n, const JudgeRule& rule);
  void collect(BatchJudgement& out);
  void index(const int64_t* d_t);
  // The number of kept events, on the device once queue()'s work has run.
  const unsigned long long* kept_count() const { return totals_.data() + 3; }
  // Per batch position: verdict, and minute index into out.minutes (0 for dropped events).
  const Verdict* verdict() const { return verdict_.data(); }
  const uint32_t* local() const { return local_.data(); }
  // The positions of the events not dropped, ascending (n - out.dropped.size() of them).
  const uint32_t* kept() const { return kept_.data(); }
  // The kept events of each of the last call's minutes (out.minutes' order).
  const std::vector<uint32_t>& minute_events() const { return minute_events_; }

 private:
  sys::Stream stream_;
  unsigned* d_error_;
  sys::Scratch temp_;
  DeviceArray<int64_t> prefix_;
  DeviceArray<Verdict> verdict_;
  DeviceArray<uint32_t> local_, kept_, drop_flag_, run_flag_, drop_rank_, run_rank_, drop_pos_;
  DeviceArray<int64_t> drop_w_, run_minute_, minutes_;
  DeviceArray<uint32_t> run_kept_;
  DeviceArray<unsigned long long> totals_;  // dropped, run starts, end max (as bits), kept
  struct Readback {
    unsigned long long totals[4];
    unsigned error;
    int64_t run_minute[kJudgeReadback];
    uint32_t run_kept[kJudgeReadback];
    uint32_t drop_pos[kJudgeReadback];
    int64_t drop_w[kJudgeReadback];
  };
  PinnedArray<Readback> rb_;
  PinnedArray<int64_t> minutes_h_;
  std::vector<int64_t> runs_;
  std::vector<uint32_t> run_kept_h_, minute_events_;
  size_t n_ = 0;  // the call queued last
  JudgeRule rule_;
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
