// The device work of one chunk: exact dedup, then group-by COUNT into the minutes' tables.
//
// Phase 1 (start): every event's fingerprint (computed by the decoder, carried in its row) is
//   inserted into its minute's fingerprint table; every copy then does atomicMin(first[slot],
//   1 + its arrival index). Once that kernel is done, `first` holds the smallest index of each
//   key that is new in this chunk, and 0 for keys of earlier chunks. A second kernel lets the
//   copy whose index is that minimum swap it for 0 (atomicCAS): that copy, and only it, is
//   counted. This is exactly the CPU engine's rule (the first copy in arrival order counts; a
//   key seen in an earlier chunk or batch is a duplicate), for any thread interleaving, because
//   the minimum does not depend on the order of the atomics. A counted event also writes its
//   group keys (below) where an append on a key cursor puts them: each row is read twice, by
//   the two kernels. (Where the keys outgrow their buffer, phase 2 first expands them again
//   from each event's recorded count, into a buffer grown for the chunks after it.)
// Phase 2 (finish): the counted events' (local minute, slot, ad) keys, packed tight
//   (device_layout.h: ChunkKeyLayout, usually under 32 bits: then 32-bit keys), are sorted on
//   those bits (their order from the append does not matter) and run-length encoded (system/algorithms.h: CUB's radix sort on CUDA): one (key,
//   count) per distinct group of the chunk. Hot ads therefore never serialise on an atomic.
// Phase 3 (finish, asynchronous): each distinct group is added to its minute's count table, and
//   logged where the minute is watched (a running sum holds it: device_window_table.h). The
//   host does not wait for the number of distinct groups: it gives each table room for as
//   many new groups as it holds already (growth by doubling), bounded by the minute's group
//   keys; a minute with more distinct groups than that is skipped by the kernel and inserted
//   by the host at its next synchronisation, into a table grown to the exact size.
//
// The host synchronises once per chunk (after phase 1, to learn the number of keys the sort
// takes); phase 3's
// counts are absorbed at the next synchronisation (next chunk's finish, or drain()).
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/device_layout.h"
#include "kernels/device_memory.h"
#include "kernels/device_window_table.h"
#include "kernels/system/algorithms.h"
#include "kernels/system/runtime.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

struct ChunkLimits {
  size_t events = size_t(1) << 22;
};

// One chunk: positions [begin, end) of the batch's kept events (device_rows.h builds its
// rows), and its minutes: chunk-local id -> minute, ascending, and the events of each.
struct PackedChunk {
  size_t begin = 0, end = 0;
  std::vector<int64_t> minutes;
  std::vector<uint32_t> minute_events;
  size_t size() const { return end - begin; }
};

// Where phase 3 puts a chunk minute's groups: its count table (slots null: none this time),
// the room the table has at its load limit, and its log where the minute is watched.
struct InsertTarget {
  CountTableRef table;
  unsigned long long room = 0;
  CountSlot* log = nullptr;
};

// Counted events per chunk-local minute, split by the verdict they were judged with.
struct ChunkCounts {
  std::vector<uint32_t> open, late;
};

class ChunkPipeline {
 public:
  ChunkPipeline(sys::Stream stream, unsigned* d_error);
  ChunkPipeline(const ChunkPipeline&) = delete;
  ChunkPipeline& operator=(const ChunkPipeline&) = delete;

  // Phase 1 for `chunk`, whose rows d_rows were written earlier on this stream; d_ads[r] is
  // row r's ad index, below `ads` (device memory; both read until finish()). Reserves room in
  // the minutes' fingerprint tables first.
  void start(const PackedChunk& chunk, const DeviceEvent* d_rows, const uint32_t* d_ads, uint64_t ads,
             DeviceWindowTable& table, const FilterTableRef& filters);
  // Phase 1 for a chunk of every kept event of a batch, queued before the host knows how many
  // there are: rows and ads from position *d_bound on are left alone (a bound of 0 leaves the
  // chunk whole for a later start()). The fingerprint tables are the caller's (d_refs, by
  // chunk minute, each with room for its events). finish_synced() follows, with the chunk's
  // true end. (start() is this with its own reserved tables and no bound.)
  void start_bounded(const PackedChunk& chunk, const DeviceEvent* d_rows, const uint32_t* d_ads, uint64_t ads,
                     const FpTableRef* d_refs, const FilterTableRef& filters, const unsigned long long* d_bound);
  // Waits for phase 1, notes the new fingerprints, runs phase 2, waits, reserves room in the
  // count tables and issues phase 3.
  void finish(const PackedChunk& chunk, DeviceWindowTable& table, const FilterTableRef& filters, ChunkCounts& out);
  // finish() in two, for a caller that has synchronised the stream itself since start():
  // absorb_synced() takes in the last phase 3 (checking the error word), then finish_synced()
  // goes on from phase 1's counts.
  void absorb_synced(DeviceWindowTable& table);
  void finish_synced(const PackedChunk& chunk, DeviceWindowTable& table, const FilterTableRef& filters,
                     ChunkCounts& out);
  // Waits for the last phase 3 and notes its new count keys.
  void drain(DeviceWindowTable& table);

 private:
  // What the kernels report back, in pinned memory (one outstanding chunk at a time).
  struct Readback {
    unsigned error;
    int runs;
    unsigned long long expansions;
    uint32_t counted[2 * kMaxChunkMinutes];  // [2 * local minute + late]
    uint32_t distinct[kMaxChunkMinutes];
    uint32_t new_keys[kMaxChunkMinutes];
  };
  // The last phase 3, until absorbed.
  struct Pending {
    bool active = false;
    bool wide = false;  // 64-bit keys
    ChunkKeyLayout layout;
    std::vector<int64_t> minutes;
    std::vector<unsigned long long> room;  // per chunk minute, as given to the kernel
    std::vector<uint8_t> logged;           // per chunk minute: watched
  };
  // Phases 2 and 3 on keys of type Key (32 or 64 bits), for e expansions.
  template <class Key>
  void group(const PackedChunk& chunk, DeviceWindowTable& table, const FilterTableRef& filters, uint64_t e,
             const ChunkCounts& counts);
  template <class Key>
  void launch_insert(uint64_t n);
  template <class Key>
  void resolve(const FilterTableRef& filters, const unsigned long long* d_bound);
  void check() const;
  void sync_and_check();
  void absorb_pending(DeviceWindowTable& table);

  sys::Stream stream_;
  unsigned* d_error_;
  PinnedArray<Readback> rb_;
  sys::Scratch temp_;

  // The chunk in flight between start() and finish().
  const DeviceEvent* rows_ = nullptr;
  const uint32_t* ads_ = nullptr;
  const FpTableRef* refs_ = nullptr;  // by chunk minute
  size_t n_ = 0;
  ChunkKeyLayout layout_;
  Pending pending_;
  // Smallest room a table is given for a chunk's new groups.
  static constexpr uint64_t kMinRoom = 1024;

  std::vector<FpTableRef> fp_refs_;
  std::vector<InsertTarget> targets_;
  DeviceArray<FpTableRef> d_fp_refs_;
  DeviceArray<InsertTarget> d_targets_;
  DeviceArray<uint32_t> slot_, exp_, offs_;
  DeviceArray<unsigned> counted_, distinct_, new_keys_;
  DeviceArray<uint32_t> first_;
  DeviceArray<unsigned long long> keys_, sorted_, unique_;  // 64-bit words, holding keys of either width
  DeviceArray<uint32_t> run_len_;
  DeviceArray<int> runs_;
  DeviceArray<unsigned long long> cursor_;  // resolve's key append
  unsigned long long keys_capacity_ = 0;    // keys (of the chunk's width) keys_ holds
  bool wide_ = false;                       // the chunk's keys are 64-bit
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
