#include "kernels/device_window_table.h"

#include <iterator>
#include <stdexcept>
#include <string>

#include "kernels/block/probe.h"
#include "kernels/device_layout.h"
#include "kernels/system/atomics.h"
#include "kernels/system/launch.h"
#include "kernels/system/warp.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {

// Re-inserts the committed fingerprints of `from` into the empty table `to`.
struct FpRehash {
  const FpEntry* from;
  FpTableRef to;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active) return;
    const FpSlot s = from[i].key;
    if (s.lo == 0 && s.hi == 0) return;
    const uint32_t at = block::fp_insert_or_find(to, s, error);
    if (at != kNoSlot) to.slots[at].first = 0;  // keys are distinct here: one writer per entry
  }
};

struct FpClear {
  FpEntry* slots;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (active) slots[i] = FpEntry{FpSlot{0, 0}, kFirstEmpty, {0, 0, 0}};
  }
};

// Inserts fingerprints as committed keys, counting the ones that were new.
struct FpInsert {
  FpTableRef to;
  const FpSlot* in;
  unsigned long long* inserted;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    bool fresh = false;
    if (active) {
      // `first` of a new entry is kFirstEmpty; committing it with a swap tells the one thread
      // that inserted it apart from threads that found it (equal fingerprints in the input).
      const uint32_t at = block::fp_insert_or_find(to, in[i], error);
      if (at != kNoSlot) fresh = sys::compare_swap(&to.slots[at].first, kFirstEmpty, 0u) == kFirstEmpty;
    }
    (void)sys::append_slot(inserted, fresh);  // counts the new keys
  }
};

struct CountClear {
  CountSlot* slots;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (active) slots[i] = CountSlot{kEmptyCountKey, 0};
  }
};

struct CountRehash {
  const CountSlot* from;
  CountTableRef to;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active) return;
    const CountSlot s = from[i];
    if (s.key != kEmptyCountKey) block::count_add(to, s.key, s.count, error);
  }
};

struct CountInsert {
  CountTableRef to;
  const CountSlot* in;
  unsigned long long* inserted;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    bool fresh = false;
    if (active) fresh = block::count_add(to, in[i].key, in[i].count, error);
    (void)sys::append_slot(inserted, fresh);
  }
};

struct CountGather {
  const CountSlot* slots;
  unsigned long long* keys;
  unsigned long long* counts;
  unsigned long long* cursor;
  unsigned long long limit;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    CountSlot s{kEmptyCountKey, 0};
    if (active) s = slots[i];
    const bool keep = s.key != kEmptyCountKey;
    const unsigned long long pos = sys::append_slot(cursor, keep);
    if (!keep) return;
    if (pos >= limit) {
      sys::fetch_or(error, kErrOutputOverflow);
      return;
    }
    keys[pos] = s.key;
    counts[pos] = s.count;
  }
};

struct FpGather {
  const FpEntry* slots;
  FpSlot* out;
  unsigned long long* cursor;
  unsigned long long limit;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    FpSlot s{0, 0};
    if (active) s = slots[i].key;
    const bool keep = s.lo != 0 || s.hi != 0;
    const unsigned long long pos = sys::append_slot(cursor, keep);
    if (!keep) return;
    if (pos >= limit) {
      sys::fetch_or(error, kErrOutputOverflow);
      return;
    }
    out[pos] = s;
  }
};

uint64_t next_pow2(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

}  // namespace

DeviceWindowTable::DeviceWindowTable(sys::Stream stream, uint64_t min_slots, unsigned* d_error)
    : stream_(stream),
      min_slots_(next_pow2(std::max<uint64_t>(min_slots, 2))),
      d_error_(d_error),
      scratch_(stream),
      sort_temp_(stream),
      counter_(stream) {}

uint64_t DeviceWindowTable::capacity_for(uint64_t keys) const {
  // Load at most 1/2.
  const uint64_t want = next_pow2(std::max<uint64_t>(min_slots_, keys * 2));
  if (want > kMaxTableSlots)
    throw std::runtime_error("GPU engine: more than " + std::to_string(kMaxTableSlots / 2) +
                             " distinct keys in one minute; use --engine cpu");
  return want;
}

DeviceWindowTable::FpTable DeviceWindowTable::new_fp_table(uint64_t capacity) {
  FpTable t{DeviceArray<FpEntry>(stream_), capacity, 0};
  t.slots.assign_exact(capacity);
  sys::launch(stream_, capacity, FpClear{t.slots.data()}, "fp_clear");
  return t;
}

DeviceWindowTable::CountTable DeviceWindowTable::new_count_table(uint64_t capacity) {
  CountTable t{DeviceArray<CountSlot>(stream_), capacity, 0};
  t.slots.assign_exact(capacity);
  sys::launch(stream_, capacity, CountClear{t.slots.data()}, "count_clear");
  return t;
}

FpTableRef DeviceWindowTable::reserve_fingerprints(int64_t minute, uint64_t extra) {
  auto it = fps_.find(minute);
  if (it == fps_.end()) {
    FpTable t = new_fp_table(capacity_for(extra));
    it = fps_.emplace(minute, std::move(t)).first;
    return it->second.ref();
  }
  FpTable& cur = it->second;
  const uint64_t need = cur.size + extra;
  if (need * 2 > cur.capacity) {
    FpTable grown = new_fp_table(capacity_for(need));
    sys::launch(stream_, cur.capacity, FpRehash{cur.slots.data(), grown.ref(), d_error_}, "fp_rehash");
    grown.size = cur.size;
    cur = std::move(grown);  // the old arrays are freed in stream order, after the rehash
  }
  return cur.ref();
}

void DeviceWindowTable::note_fingerprints(int64_t minute, uint64_t inserted) {
  auto it = fps_.find(minute);
  if (it == fps_.end()) throw std::logic_error("GPU engine: fingerprints noted for a minute without a table");
  it->second.size += inserted;
  if (it->second.size * 2 > it->second.capacity) throw std::logic_error("GPU engine: fingerprint table over its load limit");
}

uint64_t DeviceWindowTable::fingerprint_count(int64_t minute) const {
  auto it = fps_.find(minute);
  return it == fps_.end() ? 0 : it->second.size;
}
uint64_t DeviceWindowTable::fingerprint_capacity(int64_t minute) const {
  auto it = fps_.find(minute);
  return it == fps_.end() ? 0 : it->second.capacity;
}

std::vector<int64_t> DeviceWindowTable::fingerprint_minutes(bool empty_too) const {
  std::vector<int64_t> out;
  for (const auto& [m, t] : fps_)
    if (empty_too || t.size > 0) out.push_back(m);
  return out;
}

unsigned long long* DeviceWindowTable::scratch_counter() {
  counter_.reserve_discard(1);
  sys::fill_async(counter_.data(), 0, sizeof(unsigned long long), stream_);
  return counter_.data();
}

std::vector<Hash128> DeviceWindowTable::fingerprints(int64_t minute) {
  std::vector<Hash128> out;
  auto it = fps_.find(minute);
  if (it == fps_.end() || it->second.size == 0) return out;
  const FpTable& t = it->second;
  scratch_.reserve_discard(t.size * sizeof(FpSlot));
  auto* d_out = reinterpret_cast<FpSlot*>(scratch_.data());
  unsigned long long* cursor = scratch_counter();
  sys::launch(stream_, t.capacity, FpGather{t.slots.data(), d_out, cursor, t.size, d_error_}, "fp_gather");
  std::vector<FpSlot> raw(t.size);
  unsigned long long found = 0;
  sys::copy_async(raw.data(), d_out, t.size * sizeof(FpSlot), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(&found, cursor, sizeof found, sys::Copy::DeviceToHost, stream_);
  sys::sync(stream_);
  if (found != t.size) throw std::logic_error("GPU engine: fingerprint table holds another number of keys than noted");
  out.reserve(raw.size());
  for (const FpSlot& s : raw) out.push_back(Hash128{s.lo, s.hi});
  return out;
}

void DeviceWindowTable::insert_fingerprints_async(const FpTableRef& ref, const FpSlot* d_fps, size_t n,
                                                  unsigned long long* d_inserted) {
  if (n == 0) return;
  sys::launch(stream_, n, FpInsert{ref, d_fps, d_inserted, d_error_}, "fp_insert");
}

void DeviceWindowTable::insert_fingerprints(int64_t minute, std::span<const Hash128> fps) {
  if (fps.empty()) return;
  const FpTableRef ref = reserve_fingerprints(minute, fps.size());
  std::vector<FpSlot> host(fps.size());
  for (size_t i = 0; i < fps.size(); ++i) {
    if (fps[i].lo == 0 && fps[i].hi == 0) throw std::invalid_argument("GPU engine: the zero fingerprint is reserved");
    host[i] = FpSlot{fps[i].lo, fps[i].hi};
  }
  scratch_.reserve_discard(host.size() * sizeof(FpSlot));
  auto* d_in = reinterpret_cast<FpSlot*>(scratch_.data());
  sys::copy_async(d_in, host.data(), host.size() * sizeof(FpSlot), sys::Copy::HostToDevice, stream_);
  unsigned long long* counter = scratch_counter();
  insert_fingerprints_async(ref, d_in, host.size(), counter);
  unsigned long long inserted = 0;
  sys::copy_async(&inserted, counter, sizeof inserted, sys::Copy::DeviceToHost, stream_);
  sys::sync(stream_);
  note_fingerprints(minute, inserted);
}

CountTableRef DeviceWindowTable::reserve_counts(int64_t minute, uint64_t extra) {
  auto it = counts_.find(minute);
  if (it == counts_.end()) {
    CountTable t = new_count_table(capacity_for(extra));
    it = counts_.emplace(minute, std::move(t)).first;
    return it->second.ref();
  }
  CountTable& cur = it->second;
  const uint64_t need = cur.size + extra;
  if (need * 2 > cur.capacity) {
    CountTable grown = new_count_table(capacity_for(need));
    sys::launch(stream_, cur.capacity, CountRehash{cur.slots.data(), grown.ref(), d_error_}, "count_rehash");
    grown.size = cur.size;
    cur = std::move(grown);
  }
  return cur.ref();
}

void DeviceWindowTable::note_counts(int64_t minute, uint64_t inserted) {
  auto it = counts_.find(minute);
  if (it == counts_.end()) throw std::logic_error("GPU engine: counts noted for a minute without a table");
  it->second.size += inserted;
  if (it->second.size * 2 > it->second.capacity) throw std::logic_error("GPU engine: count table over its load limit");
}

uint64_t DeviceWindowTable::count_size(int64_t minute) const {
  auto it = counts_.find(minute);
  return it == counts_.end() ? 0 : it->second.size;
}
uint64_t DeviceWindowTable::newest_count_size_before(int64_t minute) const {
  auto it = counts_.lower_bound(minute);
  return it == counts_.begin() ? 0 : std::prev(it)->second.size;
}

uint64_t DeviceWindowTable::count_capacity(int64_t minute) const {
  auto it = counts_.find(minute);
  return it == counts_.end() ? 0 : it->second.capacity;
}

std::vector<int64_t> DeviceWindowTable::count_minutes() const {
  std::vector<int64_t> out;
  for (const auto& [m, _] : counts_) out.push_back(m);
  return out;
}

void DeviceWindowTable::gather_counts_async(int64_t minute, unsigned long long* d_keys, unsigned long long* d_counts,
                                            unsigned long long* d_cursor, unsigned long long limit) const {
  auto it = counts_.find(minute);
  if (it == counts_.end()) return;
  const CountTable& t = it->second;
  sys::launch(stream_, t.capacity, CountGather{t.slots.data(), d_keys, d_counts, d_cursor, limit, d_error_},
              "count_gather");
}

std::vector<CountSlot> DeviceWindowTable::counts(int64_t minute, const NamesRef* order) {
  std::vector<CountSlot> out;
  auto it = counts_.find(minute);
  if (it == counts_.end() || it->second.size == 0) return out;
  const uint64_t n = it->second.size;
  scratch_.reserve_discard(n * 2 * sizeof(unsigned long long));
  auto* d_keys = reinterpret_cast<unsigned long long*>(scratch_.data());
  unsigned long long* d_counts = d_keys + n;
  unsigned long long* cursor = scratch_counter();
  gather_counts_async(minute, d_keys, d_counts, cursor, n);
  // Count keys are slot << 32 | ad, the items SlotNameLess orders.
  if (order != nullptr) sys::sort_pairs_by_slot_and_name(sort_temp_, d_keys, d_counts, n, *order);
  std::vector<unsigned long long> keys(n), counts(n);
  unsigned long long found = 0;
  sys::copy_async(keys.data(), d_keys, n * sizeof(unsigned long long), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(counts.data(), d_counts, n * sizeof(unsigned long long), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(&found, cursor, sizeof found, sys::Copy::DeviceToHost, stream_);
  sys::sync(stream_);
  if (found != n) throw std::logic_error("GPU engine: count table holds another number of keys than noted");
  out.resize(n);
  for (uint64_t i = 0; i < n; ++i) out[i] = CountSlot{keys[i], counts[i]};
  return out;
}

void DeviceWindowTable::insert_counts_async(const CountTableRef& ref, const CountSlot* d_items, size_t n,
                                            unsigned long long* d_inserted) {
  if (n == 0) return;
  sys::launch(stream_, n, CountInsert{ref, d_items, d_inserted, d_error_}, "count_insert");
}

void DeviceWindowTable::insert_counts(int64_t minute, std::span<const CountSlot> items) {
  if (items.empty()) return;
  for (const CountSlot& s : items)
    if (s.key == kEmptyCountKey) throw std::invalid_argument("GPU engine: the empty count key is reserved");
  const CountTableRef ref = reserve_counts(minute, items.size());
  scratch_.reserve_discard(items.size() * sizeof(CountSlot));
  auto* d_in = reinterpret_cast<CountSlot*>(scratch_.data());
  sys::copy_async(d_in, items.data(), items.size() * sizeof(CountSlot), sys::Copy::HostToDevice, stream_);
  unsigned long long* counter = scratch_counter();
  insert_counts_async(ref, d_in, items.size(), counter);
  unsigned long long inserted = 0;
  sys::copy_async(&inserted, counter, sizeof inserted, sys::Copy::DeviceToHost, stream_);
  sys::sync(stream_);
  note_counts(minute, inserted);
}

void DeviceWindowTable::watch_counts(const std::set<int64_t>& minutes) {
  for (auto it = logs_.begin(); it != logs_.end();) it = minutes.count(it->first) ? std::next(it) : logs_.erase(it);
  for (int64_t m : minutes)
    if (counts_.count(m) != 0 && logs_.count(m) == 0) logs_.emplace(m, CountLog{DeviceArray<CountSlot>(stream_), 0});
}

CountSlot* DeviceWindowTable::reserve_log(int64_t minute, uint64_t extra) {
  auto it = logs_.find(minute);
  if (it == logs_.end()) throw std::logic_error("GPU engine: a log reserved for a minute not watched");
  CountLog& log = it->second;
  log.items.reserve_keep(log.size + extra, log.size);
  return log.items.data() + log.size;
}

void DeviceWindowTable::note_log(int64_t minute, uint64_t written) {
  auto it = logs_.find(minute);
  if (it == logs_.end()) throw std::logic_error("GPU engine: a log noted for a minute not watched");
  CountLog& log = it->second;
  if (log.size + written > log.items.size()) throw std::logic_error("GPU engine: a log noted past its room");
  log.size += written;
}

uint64_t DeviceWindowTable::log_size(int64_t minute) const {
  auto it = logs_.find(minute);
  return it == logs_.end() ? 0 : it->second.size;
}

void DeviceWindowTable::gather_log_async(int64_t minute, unsigned long long* d_keys, unsigned long long* d_counts,
                                         unsigned long long* d_cursor, unsigned long long limit) const {
  auto it = logs_.find(minute);
  if (it == logs_.end() || it->second.size == 0) return;
  const CountLog& log = it->second;
  // Log entries are (key, count) slots that are never empty: the table's gather takes them.
  sys::launch(stream_, log.size, CountGather{log.items.data(), d_keys, d_counts, d_cursor, limit, d_error_},
              "log_gather");
}

void DeviceWindowTable::clear_logs() {
  for (auto& [m, log] : logs_) log.size = 0;
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
