#include "kernels/chunk_pipeline.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/block/event_match.h"
#include "kernels/block/probe.h"
#include "kernels/system/atomics.h"
#include "kernels/system/launch.h"
#include "kernels/system/warp.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {

// Phase 1a: claim every event's (minute, fingerprint) key; remember its slot; record the
// smallest arrival index holding each key.
struct Claim {
  const DeviceEvent* rows;
  const FpTableRef* refs;
  uint32_t* slot_of;
  const unsigned long long* bound;  // where set, rows from *bound on are not claimed
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active || (bound != nullptr && i >= *bound)) return;
    const DeviceEvent& e = rows[i];
    const FpTableRef t = refs[local_minute(e)];
    const uint32_t s = block::fp_insert_or_find(t, FpSlot{e.fp_lo, e.fp_hi}, error);
    if (s != kNoSlot) sys::fetch_min(&t.slots[s].first, static_cast<uint32_t>(i + 1));
    slot_of[i] = s;
  }
};

// Phase 1b: the copy holding the minimum swaps it for 0 (committing the key for later chunks)
// and is counted. A counted event writes its group keys (slot 0 and each filter it matches)
// where a warp-aggregated append on the key cursor puts them, so the row is read no third
// time; keys past the buffer's capacity are not written (the host then expands from the
// recorded expansions instead: Expand).
template <class Key>
struct Resolve {
  const DeviceEvent* rows;
  const uint32_t* ads;
  const FpTableRef* refs;
  const uint32_t* slot_of;
  FilterTableRef filters;
  ChunkKeyLayout layout;
  uint32_t* expansions;
  unsigned* counted;
  Key* keys;
  unsigned long long capacity;
  unsigned long long* cursor;
  const unsigned long long* bound;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    bool head = false;
    uint32_t key = 0, want = 0;
    const DeviceEvent* e = nullptr;
    // Every lane goes on to the warp-wide count and append, in bounds or not.
    if (active && (bound == nullptr || i < *bound)) {
      e = rows + i;
      const uint32_t s = slot_of[i];
      const uint32_t me = static_cast<uint32_t>(i + 1);
      if (s != kNoSlot) head = sys::compare_swap(&refs[local_minute(*e)].slots[s].first, me, 0u) == me;
      want = head ? 1u + block::count_matches(filters, *e) : 0u;
      expansions[i] = want;
      key = 2 * local_minute(*e) + (is_late(*e) ? 1u : 0u);
    }
    sys::count_into(counted, key, head);
    const unsigned long long at = sys::append_slots(cursor, want);
    if (want == 0 || at + want > capacity) return;
    const uint32_t l = local_minute(*e);
    const uint32_t ad = ads[i];
    Key* out = keys + at;
    out[0] = static_cast<Key>(layout.key(l, 0, ad));
    uint32_t k = 1;
    block::for_each_match(filters, *e, [&](uint32_t f) {
      if (k < want) out[k] = static_cast<Key>(layout.key(l, f + 1, ad));
      ++k;
    });
    if (k != want) sys::fetch_or(error, kErrExpansion);
  }
};

// Phase 2a, where resolve's keys did not fit: one chunk key per (counted event, slot it counts
// into), at the event's offset (an exclusive sum of the expansions).
template <class Key>
struct Expand {
  const DeviceEvent* rows;
  const uint32_t* ads;
  const uint32_t* expansions;
  const uint32_t* offsets;
  FilterTableRef filters;
  ChunkKeyLayout layout;
  Key* keys;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active) return;
    const uint32_t want = expansions[i];
    if (want == 0) return;
    const DeviceEvent& e = rows[i];
    const uint32_t l = local_minute(e);
    Key* out = keys + offsets[i];
    const uint32_t ad = ads[i];
    out[0] = static_cast<Key>(layout.key(l, 0, ad));
    uint32_t k = 1;
    block::for_each_match(filters, e, [&](uint32_t f) {
      if (k < want) out[k] = static_cast<Key>(layout.key(l, f + 1, ad));
      ++k;
    });
    if (k != want) sys::fetch_or(error, kErrExpansion);
  }
};

// Phase 2b: distinct groups per local minute (the room the count tables must have). Launched
// over all keys, as the number of runs is on the device only until the next sync.
template <class Key>
struct Distinct {
  const Key* unique;
  const int* runs;
  ChunkKeyLayout layout;
  unsigned* distinct;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    const bool valid = active && i < static_cast<unsigned long long>(*runs);
    sys::count_into(distinct, valid ? layout.minute(unique[i]) : 0u, valid);
  }
};

// Phase 3: add every distinct group of the chunk to its minute's table (keys are distinct
// here, so no two threads ever add to the same slot's key at once), and to its minute's log
// where the minute is watched. A minute with more distinct groups than its table has room for
// is left whole for the host, which grows the table and runs this again for it.
template <class Key>
struct Insert {
  const Key* unique;
  const uint32_t* run_len;
  const int* runs;
  const unsigned* distinct;  // per chunk minute
  const uint32_t* first;     // the chunk minute's first group (groups are sorted by minute)
  const InsertTarget* targets;
  ChunkKeyLayout layout;
  unsigned* new_keys;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    bool fresh = false;
    uint32_t l = 0;
    if (active && i < static_cast<unsigned long long>(*runs)) {
      const unsigned long long ck = unique[i];  // widened
      l = layout.minute(ck);
      const InsertTarget t = targets[l];
      if (t.table.slots != nullptr && distinct[l] <= t.room) {
        const uint64_t key = layout.count_key_of(ck);
        fresh = block::count_add(t.table, key, run_len[i], error);
        if (t.log != nullptr) t.log[i - first[l]] = CountSlot{key, run_len[i]};
      }
    }
    sys::count_into(new_keys, l, fresh);
  }
};

}  // namespace

ChunkPipeline::ChunkPipeline(sys::Stream stream, unsigned* d_error)
    : stream_(stream),
      d_error_(d_error),
      temp_(stream),
      d_fp_refs_(stream),
      d_targets_(stream),
      slot_(stream),
      exp_(stream),
      offs_(stream),
      counted_(stream),
      distinct_(stream),
      new_keys_(stream),
      first_(stream),
      keys_(stream),
      sorted_(stream),
      unique_(stream),
      run_len_(stream),
      runs_(stream),
      cursor_(stream) {
  rb_.reserve_discard(1);
  rb_[0].error = 0;
  runs_.reserve_discard(1);
  cursor_.reserve_discard(1);
}

void ChunkPipeline::sync_and_check() {
  sys::sync(stream_);
  check();
}

// The last phase 3 is complete (a synchronisation has passed it): note its new keys and logs,
// and insert the minutes it left to the host. The chunk's groups are still on the device: the
// next chunk's phase 2 has not been queued yet.
void ChunkPipeline::absorb_pending(DeviceWindowTable& table) {
  Pending& p = pending_;
  if (!p.active) return;
  p.active = false;
  const size_t minutes = p.minutes.size();
  uint64_t total = 0;
  bool deferred = false;
  targets_.assign(minutes, InsertTarget{});
  for (size_t l = 0; l < minutes; ++l) {
    const uint32_t d = rb_[0].distinct[l];
    total += d;
    if (d == 0) continue;
    if (d > p.room[l]) {
      // Exactly the room the minute's groups need now.
      deferred = true;
      const int64_t minute = p.minutes[l];
      targets_[l] = InsertTarget{table.reserve_counts(minute, d), ~0ull, nullptr};
      if (p.logged[l] != 0) targets_[l].log = table.reserve_log(minute, d);
      continue;
    }
    if (rb_[0].new_keys[l] != 0) table.note_counts(p.minutes[l], rb_[0].new_keys[l]);
    if (p.logged[l] != 0) table.note_log(p.minutes[l], d);
  }
  if (total != static_cast<uint64_t>(rb_[0].runs))
    throw std::logic_error("GPU engine: distinct groups per minute do not add up to the chunk's");
  if (!deferred) return;
  const uint64_t runs = total;
  if (p.wide) launch_insert<unsigned long long>(runs);
  else launch_insert<uint32_t>(runs);
  sync_and_check();
  for (size_t l = 0; l < minutes; ++l) {
    if (targets_[l].table.slots == nullptr) continue;
    table.note_counts(p.minutes[l], rb_[0].new_keys[l]);
    if (targets_[l].log != nullptr) table.note_log(p.minutes[l], rb_[0].distinct[l]);
  }
}

void ChunkPipeline::start(const PackedChunk& chunk, const DeviceEvent* d_rows, const uint32_t* d_ads, uint64_t ads,
                          DeviceWindowTable& table, const FilterTableRef& filters) {
  const size_t minutes = chunk.minutes.size();
  if (minutes > kMaxChunkMinutes) throw std::logic_error("GPU engine: chunk outside its limits");
  fp_refs_.resize(minutes);
  for (size_t l = 0; l < minutes; ++l) fp_refs_[l] = table.reserve_fingerprints(chunk.minutes[l], chunk.minute_events[l]);
  d_fp_refs_.reserve_discard(minutes);
  sys::copy_async(d_fp_refs_.data(), fp_refs_.data(), minutes * sizeof(FpTableRef), sys::Copy::HostToDevice, stream_);
  start_bounded(chunk, d_rows, d_ads, ads, d_fp_refs_.data(), filters, nullptr);
}

void ChunkPipeline::start_bounded(const PackedChunk& chunk, const DeviceEvent* d_rows, const uint32_t* d_ads, uint64_t ads,
                                  const FpTableRef* d_refs, const FilterTableRef& filters,
                                  const unsigned long long* d_bound) {
  const size_t n = chunk.size();
  const size_t minutes = chunk.minutes.size();
  if (n == 0 || n >= 0x7FFFFFFFu || minutes == 0 || minutes > kMaxChunkMinutes)
    throw std::logic_error("GPU engine: chunk outside its limits");
  rows_ = d_rows;
  ads_ = d_ads;
  refs_ = d_refs;
  n_ = n;
  layout_ = chunk_key_layout(ads, filters.count + 1ull);

  slot_.reserve_discard(n);
  exp_.reserve_discard(n + 1);
  counted_.reserve_discard(2 * minutes);
  sys::fill_async(counted_.data(), 0, 2 * minutes * sizeof(unsigned), stream_);
  sys::fill_async(cursor_.data(), 0, sizeof(unsigned long long), stream_);
  // Room for the keys of about two slots per event (more once a chunk needed more); the
  // buffer is in 64-bit words and holds keys of either width.
  keys_.reserve_discard(n);
  wide_ = layout_.end_bit(minutes) > 32;

  sys::launch(stream_, n, Claim{d_rows, d_refs, slot_.data(), d_bound, d_error_}, "claim");
  if (wide_) resolve<unsigned long long>(filters, d_bound);
  else resolve<uint32_t>(filters, d_bound);

  sys::copy_async(&rb_[0].expansions, cursor_.data(), sizeof(unsigned long long), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(rb_[0].counted, counted_.data(), 2 * minutes * sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(&rb_[0].error, d_error_, sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
}

template <class Key>
void ChunkPipeline::resolve(const FilterTableRef& filters, const unsigned long long* d_bound) {
  const unsigned long long capacity = keys_.size() * (sizeof(unsigned long long) / sizeof(Key));
  sys::launch(stream_, n_,
              Resolve<Key>{rows_, ads_, refs_, slot_.data(), filters, layout_, exp_.data(), counted_.data(),
                           reinterpret_cast<Key*>(keys_.data()), capacity, cursor_.data(), d_bound, d_error_},
              "resolve");
  keys_capacity_ = capacity;
}

void ChunkPipeline::finish(const PackedChunk& chunk, DeviceWindowTable& table, const FilterTableRef& filters,
                           ChunkCounts& out) {
  sync_and_check();
  absorb_pending(table);  // the previous chunk's phase 3 is complete too (same stream)
  finish_synced(chunk, table, filters, out);
}

void ChunkPipeline::check() const {
  // The error word is the engine's: the dictionary's kernels, queued before, report to it too.
  if (rb_[0].error & kErrDictionaryFull) throw std::runtime_error("GPU engine: the ad dictionary's table is full");
  if (rb_[0].error != 0)
    throw std::runtime_error("GPU engine: internal table error (code " + std::to_string(rb_[0].error) + ")");
}

void ChunkPipeline::absorb_synced(DeviceWindowTable& table) {
  check();
  absorb_pending(table);
}

void ChunkPipeline::finish_synced(const PackedChunk& chunk, DeviceWindowTable& table, const FilterTableRef& filters,
                                  ChunkCounts& out) {
  if (pending_.active) throw std::logic_error("GPU engine: a chunk finished before the last one was absorbed");
  check();
  const size_t minutes = chunk.minutes.size();
  n_ = chunk.size();  // a bounded chunk's true size, known now

  out.open.assign(minutes, 0);
  out.late.assign(minutes, 0);
  for (size_t l = 0; l < minutes; ++l) {
    out.open[l] = rb_[0].counted[2 * l];
    out.late[l] = rb_[0].counted[2 * l + 1];
    // Every key new in this chunk has exactly one counted copy.
    if (out.open[l] + out.late[l] != 0) table.note_fingerprints(chunk.minutes[l], out.open[l] + out.late[l]);
  }

  const uint64_t e = rb_[0].expansions;
  if (e == 0) return;
  if (e > kMaxChunkExpansions) throw std::logic_error("GPU engine: chunk expanded past its limit");

  // Phase 2, on keys of 32 bits where the layout fits them (the usual case: half the bytes
  // through every sort pass), of 64 otherwise.
  if (wide_) group<unsigned long long>(chunk, table, filters, e, out);
  else group<uint32_t>(chunk, table, filters, e, out);
}

template <class Key>
void ChunkPipeline::group(const PackedChunk& chunk, DeviceWindowTable& table, const FilterTableRef& filters,
                          uint64_t e, const ChunkCounts& counts) {
  const size_t minutes = chunk.minutes.size();
  if (e > keys_capacity_) {
    // Resolve's keys did not fit: expand again from the recorded expansions, into a buffer
    // that later chunks keep (offsets: an exclusive sum; kMaxChunkExpansions fits 32 bits).
    keys_.reserve_discard(e);
    offs_.reserve_discard(n_ + 1);
    sys::fill_async(exp_.data() + n_, 0, sizeof(uint32_t), stream_);
    sys::exclusive_sum(temp_, exp_.data(), offs_.data(), n_ + 1);
    sys::launch(stream_, n_,
                Expand<Key>{rows_, ads_, exp_.data(), offs_.data(), filters, layout_,
                            reinterpret_cast<Key*>(keys_.data()), d_error_},
                "expand");
  }
  // The buffers are sized in 64-bit words and hold either width.
  sorted_.reserve_discard(e);
  unique_.reserve_discard(e);
  run_len_.reserve_discard(e);
  Key* keys = reinterpret_cast<Key*>(keys_.data());
  Key* sorted = reinterpret_cast<Key*>(sorted_.data());
  Key* unique = reinterpret_cast<Key*>(unique_.data());

  sys::sort_keys(temp_, keys, sorted, e, 0, layout_.end_bit(minutes));
  sys::run_length_encode(temp_, sorted, unique, run_len_.data(), runs_.data(), e);
  distinct_.reserve_discard(minutes + 1);
  sys::fill_async(distinct_.data(), 0, (minutes + 1) * sizeof(unsigned), stream_);
  sys::launch(stream_, e, Distinct<Key>{unique, runs_.data(), layout_, distinct_.data()}, "distinct");
  // Each minute's first group, for its log.
  first_.reserve_discard(minutes + 1);
  sys::exclusive_sum(temp_, distinct_.data(), first_.data(), minutes + 1);

  // Phase 3, without waiting for the distinct counts: each table gets room for as many new
  // groups as it holds (at least kMinRoom, at most the minute's group keys); a minute that
  // needs more is inserted once the host has grown its table (absorb_pending).
  Pending& p = pending_;
  p.minutes = chunk.minutes;
  p.wide = sizeof(Key) == 8;
  p.layout = layout_;
  p.room.assign(minutes, 0);
  p.logged.assign(minutes, 0);
  targets_.assign(minutes, InsertTarget{});
  const uint64_t slots = filters.count + 1ull;
  for (size_t l = 0; l < minutes; ++l) {
    const uint64_t bound = (uint64_t{counts.open[l]} + counts.late[l]) * slots;  // group keys, at most
    if (bound == 0) continue;
    const int64_t minute = chunk.minutes[l];
    const uint64_t size = table.count_size(minute);
    // A new table is sized like the minute before it; one that holds groups keeps its room
    // while that is at least half its size, and otherwise grows by half (load 1/3 after, at
    // most 1/2 before the next growth). Never more than the chunk's keys could need, nor past
    // the largest table (the host's exact growth reports that).
    const uint64_t room = table.count_capacity(minute) / 2 - size;
    uint64_t guess = table.has_counts(minute) ? std::max<uint64_t>({room, size / 2, kMinRoom})
                                              : std::max<uint64_t>(table.newest_count_size_before(minute), kMinRoom);
    guess = std::min<uint64_t>({guess, bound, kMaxTableSlots / 2 - size});
    const CountTableRef ref = table.reserve_counts(minute, guess);
    p.room[l] = (ref.mask + 1) / 2 - size;
    targets_[l] = InsertTarget{ref, p.room[l], nullptr};
    if (table.watched(minute)) {
      targets_[l].log = table.reserve_log(minute, bound);
      p.logged[l] = 1;
    }
  }
  launch_insert<Key>(e);
  p.active = true;
}

template <class Key>
void ChunkPipeline::launch_insert(uint64_t n) {
  const size_t minutes = pending_.minutes.size();
  d_targets_.reserve_discard(minutes);
  sys::copy_async(d_targets_.data(), targets_.data(), minutes * sizeof(InsertTarget), sys::Copy::HostToDevice, stream_);
  new_keys_.reserve_discard(minutes);
  sys::fill_async(new_keys_.data(), 0, minutes * sizeof(unsigned), stream_);
  sys::launch(stream_, n,
              Insert<Key>{reinterpret_cast<const Key*>(unique_.data()), run_len_.data(), runs_.data(), distinct_.data(),
                          first_.data(), d_targets_.data(), pending_.layout, new_keys_.data(), d_error_},
              "insert");
  sys::copy_async(&rb_[0].runs, runs_.data(), sizeof(int), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(rb_[0].distinct, distinct_.data(), minutes * sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(rb_[0].new_keys, new_keys_.data(), minutes * sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(&rb_[0].error, d_error_, sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
}

void ChunkPipeline::drain(DeviceWindowTable& table) {
  sync_and_check();
  absorb_pending(table);
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
