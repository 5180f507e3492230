// The device builds each chunk's 64-byte DeviceEvent rows (device_layout.h) itself, from the
// batch's columns uploaded once as the decoder wrote them (fingerprint, IP, country index and,
// where filters name user ids, the user ids' hashes and places) and from the judgement left on
// the device (device_judge.h: the kept events, their verdicts and batch minute indexes). The
// host copies columns and reads back a few counters; it touches no event.
//
// Per chunk (kept positions [begin, end)):
//   1. a histogram of the chunk's events over the batch's minutes (warp-aggregated counters),
//      copied back: the chunk's minutes are those with events, numbered in ascending order
//      (chunk-local ids), with their event counts for the tables' sizing. histogram() queues it
//      ahead, so that a synchronisation the caller makes anyway (the pipeline's, for the next
//      chunk) brings it back: build() then only checks an event that has completed. A chunk of
//      the whole batch (the usual case) takes the judgement's per-minute counts instead
//      (whole_batch()), with no device work and nothing to wait for;
//   2. build: each row from its event's columns, its minute as the chunk-local id, its verdict
//      as the late flag, its user token (a probe of the filters' user ids), the filters it
//      matches as a mask (evaluated here only); countries are
//      decoded from their index (a fixed two-letter index, the batch's table of other codes,
//      or the batch's overflow list by event).
// A chunk holds at most kMaxChunkMinutes distinct minutes: a batch with more distinct minutes
// than that (hostile input only) is cut into chunks of at most that many events.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "host/decode/event_columns.h"
#include "host/engine/judge_rule.h"
#include "kernels/chunk_pipeline.h"
#include "kernels/device_layout.h"
#include "kernels/device_memory.h"
#include "kernels/system/runtime.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

// The judgement the rows are built from, on the device: kept[k] is the batch position of the
// k-th event not dropped (kept_n of them); verdict and local are indexed by batch position;
// minutes are the batch's counted minutes (host), which local indexes.
struct KeptEvents {
  const uint32_t* kept = nullptr;
  size_t kept_n = 0;
  const Verdict* verdict = nullptr;
  const uint32_t* local = nullptr;
  std::span<const int64_t> minutes;
};

class DeviceRows {
 public:
  explicit DeviceRows(sys::Stream stream);
  ~DeviceRows();
  DeviceRows(const DeviceRows&) = delete;
  DeviceRows& operator=(const DeviceRows&) = delete;

  // Queues the upload of the batch's columns the rows need (with the user ids' hashes,
  // offsets and lengths where `users`: some filter names user ids). The batch must stay
  // unchanged until the stream has passed the copies (the caller's next synchronisation).
  void upload(const EventColumns& batch, bool users);

  // Queues step 1 for the chunk of kept positions starting at `begin`: at most max_events of
  // them, fewer where the batch has more minutes than a chunk holds.
  void histogram(const KeptEvents& k, size_t begin, size_t max_events);
  // In place of histogram() for a chunk of all the batch's kept events (at most
  // kMaxChunkMinutes minutes): its histogram is the judgement's per-minute counts, already on
  // the host, so build() waits for nothing.
  void whole_batch(const KeptEvents& k, std::span<const uint32_t> minute_events);
  // Cuts the chunk histogram() (or whole_batch()) set up last (it must start at `begin`) and builds its rows into
  // `rows`, each with its mask of matching `filters` (where there are kMaskFilters or fewer)
  // and its user token, looked up in `users` with the user id's bytes from `text` (the batch's
  // text buffer on the device).
  PackedChunk build(const KeptEvents& k, size_t begin, const FilterTableRef& filters, const UserTableRef& users,
                    const char* text, DeviceArray<DeviceEvent>& rows);
  // The rows of a chunk of every kept event of the batch whose number the host does not know
  // yet: k.kept_n bounds it and *d_bound (device memory) is it, or 0 to build none; k.local
  // indexes k.minutes, which become the chunk's minutes as they are (empty ones included).
  // The chunk returned ends at k.kept_n: its caller sets the true end once it knows it.
  PackedChunk build_bounded(const KeptEvents& k, const unsigned long long* d_bound, const FilterTableRef& filters,
                            const UserTableRef& users, const char* text, DeviceArray<DeviceEvent>& rows);

 private:
  // Rows [0, n) from kept positions begin.. (those from *d_bound on left alone, where set).
  void launch_build(const KeptEvents& k, size_t begin, size_t n, const unsigned long long* d_bound,
                    const FilterTableRef& filters, const UserTableRef& users, const char* text,
                    DeviceArray<DeviceEvent>& rows);

  sys::Stream stream_;
  DeviceArray<Hash128> fp_;
  DeviceArray<Ip16> ip_;
  DeviceArray<uint16_t> country_;
  DeviceArray<uint64_t> user_hash_;
  DeviceArray<uint32_t> user_off_;
  DeviceArray<uint16_t> user_len_;
  DeviceArray<DeviceCountry> extra_;
  DeviceArray<uint32_t> overflow_event_;
  DeviceArray<DeviceCountry> overflow_code_;
  size_t overflow_n_ = 0;
  bool has_users_ = false;
  // The histogram queued last: its chunk and the event recorded once its copy is queued.
  size_t hist_begin_ = SIZE_MAX, hist_end_ = 0;
  sys::Event hist_copied_ = nullptr;
  bool hist_on_host_ = false;  // whole_batch(): nothing to wait for
  DeviceArray<unsigned> hist_;
  DeviceArray<uint16_t> chunk_local_;
  PinnedArray<unsigned> hist_h_;
  PinnedArray<uint16_t> chunk_local_h_;
  // Staging of the batch's small tables (uploaded from here: pinned, stable until the sync).
  PinnedArray<DeviceCountry> extra_h_, overflow_code_h_;
  PinnedArray<uint32_t> overflow_event_h_;
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
