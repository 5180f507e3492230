// The device-resident window state of the GPU engine: per minute, a dedup fingerprint table and
// a group-by count table (layouts in table_ref.h). An owning host object after cuCollections'
// pattern: it allocates, sizes, grows (rehash kernels) and frees the tables in the order of one
// stream, and hands out trivially copyable refs for kernels. Bulk calls come in a
// synchronous form (host data in and out) and an _async form (device data, stream-ordered).
//
// One table per minute rather than one table keyed by minute: purging a window's dedup state
// or forgetting its counts (WindowPlan) frees one allocation, with no tombstones and no limit on
// how far apart live minutes may be; emitting a window reads only its own table.
//
// Sizes: the host keeps each table's exact number of keys. Kernels that insert report how many
// keys they added (per minute) and the caller passes that to note_*() after synchronising.
// reserve_*() guarantees room for `extra` more keys at a load of at most 1/2, so probes always
// end; the kernels still guard against a full table (kErrTableFull) instead of spinning.
//
// Example (also tests/gpu/device_window_table_test.cpp):
//   DeviceWindowTable t(stream, 1024, d_error);
//   const std::vector<CountSlot> in{{count_key(0, 7), 3}, {count_key(2, 7), 1}};
//   t.insert_counts(minute, in);
//   std::vector<CountSlot> rows = t.counts(minute);   // the two entries, any order
//   t.forget_counts(minute);
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <vector>

#include "host/common/hash128.h"
#include "kernels/device_memory.h"
#include "kernels/system/algorithms.h"
#include "kernels/system/runtime.h"
#include "kernels/table_ref.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

class DeviceWindowTable {
 public:
  // `min_slots` (a power of two is used) is the smallest capacity of a new table; `d_error` is
  // the device error word kernels report invariant violations to.
  DeviceWindowTable(sys::Stream stream, uint64_t min_slots, unsigned* d_error);
  DeviceWindowTable(const DeviceWindowTable&) = delete;
  DeviceWindowTable& operator=(const DeviceWindowTable&) = delete;

  sys::Stream stream() const { return stream_; }

  // --- dedup fingerprints, per minute ------------------------------------------------------
  // Creates or grows the minute's table so `extra` more keys fit; returns its ref (valid until
  // the next reserve/purge of that minute).
  FpTableRef reserve_fingerprints(int64_t minute, uint64_t extra);
  void note_fingerprints(int64_t minute, uint64_t inserted);
  bool has_fingerprints(int64_t minute) const { return fps_.count(minute) != 0; }
  uint64_t fingerprint_count(int64_t minute) const;
  uint64_t fingerprint_capacity(int64_t minute) const;
  // The minutes holding fingerprints, ascending (with those whose table is empty: reserved
  // ahead of its events, minute_directory.h, where empty_too).
  std::vector<int64_t> fingerprint_minutes(bool empty_too = false) const;
  void purge_fingerprints(int64_t minute) { fps_.erase(minute); }

  // Every fingerprint of the minute (any order). Synchronous.
  std::vector<Hash128> fingerprints(int64_t minute);
  // Adds committed fingerprints (a restored snapshot). Synchronous.
  void insert_fingerprints(int64_t minute, std::span<const Hash128> fps);
  // Stream-ordered form: `d_fps` on the device; adds the number of new keys to *d_inserted.
  // Room must have been reserved; the caller notes the count once the stream is synchronised.
  void insert_fingerprints_async(const FpTableRef& ref, const FpSlot* d_fps, size_t n, unsigned long long* d_inserted);

  // --- group-by counts, per minute ----------------------------------------------------------
  CountTableRef reserve_counts(int64_t minute, uint64_t extra);
  void note_counts(int64_t minute, uint64_t inserted);
  bool has_counts(int64_t minute) const { return counts_.count(minute) != 0; }
  uint64_t count_size(int64_t minute) const;
  // The size of the newest table before `minute` (0 if none): how large a new minute's table
  // is likely to grow.
  uint64_t newest_count_size_before(int64_t minute) const;
  uint64_t count_capacity(int64_t minute) const;
  std::vector<int64_t> count_minutes() const;
  void forget_counts(int64_t minute) {
    counts_.erase(minute);
    logs_.erase(minute);
  }

  // Every (key, count) of the minute: in any order, or, given the ads' names, by slot and then
  // name bytes (the order results are emitted in, sorted on the device). Synchronous.
  std::vector<CountSlot> counts(int64_t minute, const NamesRef* order = nullptr);
  // Adds counts (merging equal keys). Synchronous.
  void insert_counts(int64_t minute, std::span<const CountSlot> items);
  void insert_counts_async(const CountTableRef& ref, const CountSlot* d_items, size_t n, unsigned long long* d_inserted);
  // Appends the minute's entries at d_keys/d_counts[*d_cursor ...] (cursor advanced
  // atomically); entries past `limit` are not written and set kErrOutputOverflow.
  void gather_counts_async(int64_t minute, unsigned long long* d_keys, unsigned long long* d_counts,
                           unsigned long long* d_cursor, unsigned long long limit) const;

  // --- logs of watched minutes ----------------------------------------------------------------
  // A running sum of a long top-N window (device_sliding_sum.h) holds minutes that late events
  // can still add to. The minutes it holds are watched: what the chunk pipeline adds to a
  // watched minute is also appended to the minute's log, for the sum to take in.
  // Watches exactly `minutes` (those with a count table); logs of minutes left out are dropped.
  void watch_counts(const std::set<int64_t>& minutes);
  bool watched(int64_t minute) const { return logs_.count(minute) != 0; }
  // Room for `extra` more log entries of a watched minute: where they go (written in stream
  // order, after this call); note_log() adds those written to the log's size.
  CountSlot* reserve_log(int64_t minute, uint64_t extra);
  void note_log(int64_t minute, uint64_t written);
  uint64_t log_size(int64_t minute) const;
  // Appends the minute's log entries at d_keys/d_counts[*d_cursor ...], like
  // gather_counts_async (a key may appear several times: once per chunk that added to it).
  void gather_log_async(int64_t minute, unsigned long long* d_keys, unsigned long long* d_counts,
                        unsigned long long* d_cursor, unsigned long long limit) const;
  // Empties every log (the watch stays).
  void clear_logs();

  void clear() {
    fps_.clear();
    counts_.clear();
    logs_.clear();
  }

 private:
  struct FpTable {
    DeviceArray<FpEntry> slots;
    uint64_t capacity = 0;
    uint64_t size = 0;
    FpTableRef ref() const { return FpTableRef{slots.data(), capacity - 1}; }
  };
  struct CountTable {
    DeviceArray<CountSlot> slots;
    uint64_t capacity = 0;
    uint64_t size = 0;
    CountTableRef ref() const { return CountTableRef{slots.data(), capacity - 1}; }
  };

  struct CountLog {
    DeviceArray<CountSlot> items;
    uint64_t size = 0;
  };

  uint64_t capacity_for(uint64_t keys) const;
  FpTable new_fp_table(uint64_t capacity);
  CountTable new_count_table(uint64_t capacity);
  unsigned long long* scratch_counter();

  sys::Stream stream_;
  uint64_t min_slots_;
  unsigned* d_error_;
  std::map<int64_t, FpTable> fps_;
  std::map<int64_t, CountTable> counts_;
  std::map<int64_t, CountLog> logs_;  // the watched minutes
  DeviceArray<unsigned char> scratch_;       // staging for the synchronous calls
  sys::Scratch sort_temp_;                   // the ordered counts' sort
  DeviceArray<unsigned long long> counter_;  // one counter for the synchronous calls
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
