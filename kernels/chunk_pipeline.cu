#include "kernels/chunk_pipeline.h"

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
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active) return;
    const DeviceEvent& e = rows[i];
    const FpTableRef t = refs[local_minute(e)];
    const uint32_t s = block::fp_insert_or_find(t, FpSlot{e.fp_lo, e.fp_hi}, error);
    if (s != kNoSlot) sys::fetch_min(&t.slots[s].first, static_cast<uint32_t>(i + 1));
    slot_of[i] = s;
  }
};

// Phase 1b: the copy holding the minimum swaps it for 0 (committing the key for later chunks)
// and is counted; it also counts its matching filters (its number of group keys).
struct Resolve {
  const DeviceEvent* rows;
  const FpTableRef* refs;
  const uint32_t* slot_of;
  FilterTableRef filters;
  uint32_t* expansions;
  unsigned* counted;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    bool head = false;
    uint32_t key = 0;
    if (active) {
      const DeviceEvent& e = rows[i];
      const uint32_t s = slot_of[i];
      const uint32_t me = static_cast<uint32_t>(i + 1);
      if (s != kNoSlot) head = sys::compare_swap(&refs[local_minute(e)].slots[s].first, me, 0u) == me;
      expansions[i] = head ? 1u + block::count_matches(filters, e) : 0u;
      key = 2 * local_minute(e) + (is_late(e) ? 1u : 0u);
    }
    sys::count_into(counted, key, head);
  }
};

// Phase 2a: one chunk key per (counted event, slot it counts into), at the event's offset.
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
// where the minute is watched.
template <class Key>
struct Insert {
  const Key* unique;
  const uint32_t* run_len;
  const CountTableRef* refs;
  const CountLogRef* logs;
  ChunkKeyLayout layout;
  unsigned* new_keys;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    bool fresh = false;
    uint32_t l = 0;
    if (active) {
      const unsigned long long ck = unique[i];  // widened
      l = layout.minute(ck);
      const uint64_t key = layout.count_key_of(ck);
      fresh = block::count_add(refs[l], key, run_len[i], error);
      const CountLogRef log = logs[l];
      if (log.items != nullptr) log.items[i - log.first] = CountSlot{key, run_len[i]};
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
      d_count_refs_(stream),
      d_log_refs_(stream),
      slot_(stream),
      exp_(stream),
      offs_(stream),
      counted_(stream),
      distinct_(stream),
      new_keys_(stream),
      keys_(stream),
      sorted_(stream),
      unique_(stream),
      run_len_(stream),
      runs_(stream) {
  rb_.reserve_discard(1);
  rb_[0].error = 0;
  runs_.reserve_discard(1);
}

void ChunkPipeline::sync_and_check() {
  sys::sync(stream_);
  if (rb_[0].error != 0)
    throw std::runtime_error("GPU engine: internal table error (code " + std::to_string(rb_[0].error) + ")");
}

void ChunkPipeline::absorb_pending(DeviceWindowTable& table) {
  for (size_t l = 0; l < pending_minutes_.size(); ++l)
    if (rb_[0].new_keys[l] != 0) table.note_counts(pending_minutes_[l], rb_[0].new_keys[l]);
  pending_minutes_.clear();
}

void ChunkPipeline::start(const PackedChunk& chunk, const DeviceEvent* d_rows, const uint32_t* d_ads, uint32_t ads,
                          DeviceWindowTable& table, const FilterTableRef& filters) {
  const size_t n = chunk.size();
  const size_t minutes = chunk.minutes.size();
  if (n == 0 || n >= 0x7FFFFFFFu || minutes == 0 || minutes > kMaxChunkMinutes)
    throw std::logic_error("GPU engine: chunk outside its limits");
  rows_ = d_rows;
  ads_ = d_ads;
  n_ = n;
  layout_ = chunk_key_layout(ads, filters.count + 1ull);

  fp_refs_.resize(minutes);
  for (size_t l = 0; l < minutes; ++l) fp_refs_[l] = table.reserve_fingerprints(chunk.minutes[l], chunk.minute_events[l]);
  d_fp_refs_.reserve_discard(minutes);
  sys::copy_async(d_fp_refs_.data(), fp_refs_.data(), minutes * sizeof(FpTableRef), sys::Copy::HostToDevice, stream_);

  slot_.reserve_discard(n);
  exp_.reserve_discard(n + 1);
  offs_.reserve_discard(n + 1);
  counted_.reserve_discard(2 * minutes);
  sys::fill_async(counted_.data(), 0, 2 * minutes * sizeof(unsigned), stream_);
  sys::fill_async(exp_.data() + n, 0, sizeof(uint32_t), stream_);

  sys::launch(stream_, n, Claim{d_rows, d_fp_refs_.data(), slot_.data(), d_error_}, "claim");
  sys::launch(stream_, n, Resolve{d_rows, d_fp_refs_.data(), slot_.data(), filters, exp_.data(), counted_.data()},
              "resolve");
  // offsets[i] = keys of events before i; offsets[n] = keys of the chunk (at most
  // kMaxChunkExpansions by the chunk limits, so 32 bits hold it).
  sys::exclusive_sum(temp_, exp_.data(), offs_.data(), n + 1);

  sys::copy_async(&rb_[0].expansions, offs_.data() + n, sizeof(uint32_t), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(rb_[0].counted, counted_.data(), 2 * minutes * sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(&rb_[0].error, d_error_, sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
}

void ChunkPipeline::finish(const PackedChunk& chunk, DeviceWindowTable& table, const FilterTableRef& filters,
                           ChunkCounts& out) {
  const size_t minutes = chunk.minutes.size();
  sync_and_check();
  absorb_pending(table);  // the previous chunk's phase 3 is complete too (same stream)

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
  if (layout_.end_bit(minutes) <= 32) group<uint32_t>(chunk, table, filters, e);
  else group<unsigned long long>(chunk, table, filters, e);
}

template <class Key>
void ChunkPipeline::group(const PackedChunk& chunk, DeviceWindowTable& table, const FilterTableRef& filters,
                          uint64_t e) {
  const size_t minutes = chunk.minutes.size();
  // The buffers are sized in 64-bit words and hold either width.
  keys_.reserve_discard(e);
  sorted_.reserve_discard(e);
  unique_.reserve_discard(e);
  run_len_.reserve_discard(e);
  Key* keys = reinterpret_cast<Key*>(keys_.data());
  Key* sorted = reinterpret_cast<Key*>(sorted_.data());
  Key* unique = reinterpret_cast<Key*>(unique_.data());
  sys::launch(stream_, n_, Expand<Key>{rows_, ads_, exp_.data(), offs_.data(), filters, layout_, keys, d_error_},
              "expand");

  sys::sort_keys(temp_, keys, sorted, e, 0, layout_.end_bit(minutes));
  sys::run_length_encode(temp_, sorted, unique, run_len_.data(), runs_.data(), e);
  distinct_.reserve_discard(minutes);
  sys::fill_async(distinct_.data(), 0, minutes * sizeof(unsigned), stream_);
  sys::launch(stream_, e, Distinct<Key>{unique, runs_.data(), layout_, distinct_.data()}, "distinct");
  sys::copy_async(&rb_[0].runs, runs_.data(), sizeof(int), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(rb_[0].distinct, distinct_.data(), minutes * sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(&rb_[0].error, d_error_, sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
  sync_and_check();
  const uint64_t runs = static_cast<uint64_t>(rb_[0].runs);

  // Phase 3.
  count_refs_.assign(minutes, CountTableRef{});
  log_refs_.assign(minutes, CountLogRef{});
  unsigned long long first = 0;  // the minute's first distinct group (they are sorted by minute)
  for (size_t l = 0; l < minutes; ++l) {
    const uint32_t d = rb_[0].distinct[l];
    if (d != 0) {
      count_refs_[l] = table.reserve_counts(chunk.minutes[l], d);
      if (table.watched(chunk.minutes[l])) log_refs_[l] = CountLogRef{table.reserve_log(chunk.minutes[l], d), first};
    }
    first += d;
  }
  if (first != runs) throw std::logic_error("GPU engine: distinct groups per minute do not add up to the chunk's");
  d_count_refs_.reserve_discard(minutes);
  sys::copy_async(d_count_refs_.data(), count_refs_.data(), minutes * sizeof(CountTableRef), sys::Copy::HostToDevice,
                  stream_);
  d_log_refs_.reserve_discard(minutes);
  sys::copy_async(d_log_refs_.data(), log_refs_.data(), minutes * sizeof(CountLogRef), sys::Copy::HostToDevice,
                  stream_);
  new_keys_.reserve_discard(minutes);
  sys::fill_async(new_keys_.data(), 0, minutes * sizeof(unsigned), stream_);
  sys::launch(stream_, runs,
              Insert<Key>{unique, run_len_.data(), d_count_refs_.data(), d_log_refs_.data(), layout_, new_keys_.data(), d_error_}, "insert");
  sys::copy_async(rb_[0].new_keys, new_keys_.data(), minutes * sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(&rb_[0].error, d_error_, sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
  pending_minutes_ = chunk.minutes;
}

void ChunkPipeline::drain(DeviceWindowTable& table) {
  sync_and_check();
  absorb_pending(table);
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
