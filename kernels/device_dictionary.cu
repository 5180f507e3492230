#include "kernels/device_dictionary.h"

#include <stdexcept>
#include <string>

#include "host/common/bytes_hash.h"
#include "kernels/device_layout.h"
#include "kernels/table_ref.h"
#include "kernels/system/atomics.h"
#include "kernels/system/launch.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {

// A slot's low word: index + 1 of a committed name, or kPending | position of the event that
// claimed it in this call.
constexpr uint32_t kPending = 0x80000000u;
constexpr unsigned long long kLow = 0xFFFFFFFFull;
// A slot's `first` between calls: no position claims it (atomicMin needs the largest value).
constexpr uint32_t kNone = 0xFFFFFFFFu;

struct Names {
  const char* text;
  const uint32_t* off;
  const uint8_t* len;
  const uint32_t* kept;
  const char* arena;
  const uint32_t* name_off;
  const uint8_t* name_len;
  const unsigned long long* bound;  // where set, positions from *bound on are not interned
  CLICKAGG_DEV bool in(unsigned long long k) const { return bound == nullptr || k < *bound; }
  // Whether the name a slot refers to is the n bytes at p.
  CLICKAGG_DEV bool holds(uint32_t ref, const char* p, uint32_t n) const {
    const char* q;
    uint32_t m;
    if (ref & kPending) {
      const uint32_t e = kept[ref & ~kPending];
      q = text + off[e];
      m = len[e];
    } else {
      q = arena + name_off[ref - 1];
      m = name_len[ref - 1];
    }
    if (m != n) return false;
    for (uint32_t b = 0; b < n; ++b)
      if (p[b] != q[b]) return false;
    return true;
  }
};

// 1. Find or claim each event's slot; on a pending slot, offer this position as the first.
struct Probe {
  Names names;
  const unsigned long long* hash;
  unsigned long long* slots;
  uint32_t* first;
  unsigned long long mask;
  uint32_t* slot_of;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long k, bool active) const {
    if (!active || !names.in(k)) return;
    const uint32_t e = names.kept[k];
    const unsigned long long h = hash[e];
    const char* p = names.text + names.off[e];
    const uint32_t n = names.len[e];
    const unsigned long long mine = (h & ~kLow) | kPending | k;
    unsigned long long i = h & mask;
    for (unsigned long long probes = 0; probes <= mask; ++probes, i = (i + 1) & mask) {
      unsigned long long v = sys::load(slots + i);
      if (v == 0) {
        v = sys::compare_swap(slots + i, 0ull, mine);
        if (v == 0) v = mine;
      }
      if ((v >> 32) != (h >> 32)) continue;
      if (v != mine && !names.holds(static_cast<uint32_t>(v), p, n)) continue;
      if (v & kPending) sys::fetch_min(first + i, static_cast<uint32_t>(k));
      slot_of[k] = static_cast<uint32_t>(i);
      return;
    }
    sys::fetch_or(error, kErrDictionaryFull);
    slot_of[k] = kNoSlot;
  }
};

// 2. Each new name's first appearance, and the bytes it will take in the arena.
struct Flag {
  Names names;
  const unsigned long long* slots;
  const uint32_t* first;
  const uint32_t* slot_of;
  uint32_t* flag;
  uint32_t* bytes;
  CLICKAGG_DEV void operator()(unsigned long long k, bool active) const {
    if (!active) return;
    // Positions past the bound are flagged 0, so the sums over all positions stay right.
    const uint32_t s = names.in(k) ? slot_of[k] : kNoSlot;
    const bool is_first = s != kNoSlot && (slots[s] & kPending) && first[s] == k;
    flag[k] = is_first ? 1u : 0u;
    bytes[k] = is_first ? names.len[names.kept[k]] : 0u;
  }
};

// 3. New names get index size + rank; their hash, bytes and place are stored and their slot
// commits. The last position writes the call's totals.
struct Commit {
  Names names;
  const unsigned long long* hash;
  unsigned long long* slots;
  uint32_t* first;
  const uint32_t* slot_of;
  const uint32_t* flag;
  const uint32_t* rank;
  const uint32_t* byte_off;
  const uint32_t* bytes;
  const DictionaryState* state;  // before this call
  unsigned long long* hash_of;
  uint32_t* name_off;
  uint8_t* name_len;
  char* arena;
  uint32_t* totals;  // new names, their bytes
  unsigned long long n;
  CLICKAGG_DEV void operator()(unsigned long long k, bool active) const {
    if (!active) return;
    if (k + 1 == n) {
      totals[0] = rank[k] + flag[k];
      totals[1] = byte_off[k] + bytes[k];
    }
    if (!flag[k]) return;
    const uint32_t e = names.kept[k];
    const uint32_t id = state->size + rank[k];
    const uint32_t s = slot_of[k];
    const unsigned long long h = hash[e];
    hash_of[id] = h;
    const unsigned long long at = state->arena_used + byte_off[k];
    name_off[id] = static_cast<uint32_t>(at);
    name_len[id] = names.len[e];
    const char* p = names.text + names.off[e];
    for (uint32_t b = 0; b < names.len[e]; ++b) arena[at + b] = p[b];
    first[s] = kNone;
    slots[s] = (h & ~kLow) | (id + 1ull);
  }
};

// 4. Every event's index, from its (now committed) slot.
struct Read {
  const unsigned long long* slots;
  const uint32_t* slot_of;
  uint32_t* ids;
  const unsigned long long* bound;
  CLICKAGG_DEV void operator()(unsigned long long k, bool active) const {
    if (!active || (bound != nullptr && k >= *bound)) return;
    const uint32_t s = slot_of[k];
    ids[k] = s == kNoSlot ? 0u : static_cast<uint32_t>(slots[s] & kLow) - 1u;
  }
};

// The call's new names and bytes join the committed ones (one thread, after the commit).
struct Advance {
  const uint32_t* totals;
  DictionaryState* state;
  CLICKAGG_DEV void operator()(unsigned long long, bool active) const {
    if (!active) return;
    state->size += totals[0];
    state->arena_used += totals[1];
  }
};

// Committed names into a fresh table (ids are distinct: no comparing).
struct Reinsert {
  const unsigned long long* hash_of;
  const DictionaryState* state;
  unsigned long long* slots;
  unsigned long long mask;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long id, bool active) const {
    if (!active || id >= state->size) return;
    const unsigned long long h = hash_of[id];
    const unsigned long long want = (h & ~kLow) | (id + 1);
    unsigned long long i = h & mask;
    for (unsigned long long probes = 0; probes <= mask; ++probes, i = (i + 1) & mask)
      if (sys::compare_swap(slots + i, 0ull, want) == 0) return;
    sys::fetch_or(error, kErrDictionaryFull);
  }
};

}  // namespace

DeviceDictionary::DeviceDictionary(sys::Stream stream, unsigned* d_error)
    : stream_(stream),
      d_error_(d_error),
      temp_(stream),
      names_(std::make_shared<AdNames>()),
      state_(stream),
      slots_(stream),
      first_(stream),
      hash_(stream),
      name_off_(stream),
      name_len_(stream),
      arena_(stream),
      text_(stream),
      off_(stream),
      kept_(stream),
      len_(stream),
      in_hash_(stream),
      slot_of_(stream),
      flag_(stream),
      rank_(stream),
      bytes_(stream),
      byte_off_(stream),
      ids_(stream),
      totals_(stream) {
  rb_.reserve_discard(1);
  state_.reserve_discard(1);
  sys::fill_async(state_.data(), 0, sizeof(DictionaryState), stream_);
  totals_.reserve_discard(2);
}

void DeviceDictionary::reserve_slots(size_t names) {
  if (2 * names <= slots_.size()) return;
  size_t cap = slots_.size() == 0 ? 1024 : slots_.size();
  while (cap < 2 * names) cap *= 2;
  slots_.assign_exact(cap);
  first_.assign_exact(cap);
  sys::fill_async(slots_.data(), 0, cap * sizeof(unsigned long long), stream_);
  sys::fill_async(first_.data(), 0xFF, cap * sizeof(uint32_t), stream_);  // kNone
  // Every committed name, those of a call not taken in yet among them (up to size_bound_; the
  // host's count is exact only once absorbed, so the kernel reads the device's).
  sys::launch(stream_, size_bound_, Reinsert{hash_.data(), state_.data(), slots_.data(), cap - 1, d_error_},
              "dictionary_reinsert");
}

const uint32_t* DeviceDictionary::intern(const AdsIn& in) {
  const size_t n = in.d_kept != nullptr ? in.kept_n : in.kept.size();
  if (n == 0) return nullptr;
  if (n >= kPending) throw std::length_error("GPU engine: too many events in one dictionary call");
  // The last call's totals must be in: this call's sizing starts from them.
  if (totals_pending_) {
    sys::sync(stream_);
    absorb();
  }
  if (arena_bound_ + in.text.size() > UINT32_MAX) throw std::length_error("GPU engine: ad names over 4 GiB");
  // Room for every event's name being new.
  reserve_slots(size_bound_ + n);
  hash_.reserve_keep(size_bound_ + n, size_bound_);
  name_off_.reserve_keep(size_bound_ + n, size_bound_);
  name_len_.reserve_keep(size_bound_ + n, size_bound_);
  arena_.reserve_keep(arena_bound_ + in.text.size(), arena_bound_);

  upload_async(text_, in.text.data(), in.text.size(), stream_);
  upload_async(off_, in.off.data(), in.off.size(), stream_);
  upload_async(len_, in.len.data(), in.len.size(), stream_);
  upload_async(in_hash_, reinterpret_cast<const unsigned long long*>(in.hash.data()), in.hash.size(), stream_);
  if (in.d_kept == nullptr) upload_async(kept_, in.kept.data(), in.kept.size(), stream_);
  const uint32_t* kept = in.d_kept != nullptr ? in.d_kept : kept_.data();
  for (DeviceArray<uint32_t>* a : {&slot_of_, &flag_, &rank_, &bytes_, &byte_off_, &ids_}) a->reserve_discard(n);

  const Names names{text_.data(),      off_.data(),      len_.data(),  kept, arena_.data(), name_off_.data(),
                    name_len_.data(), in.d_bound};
  const unsigned long long mask = slots_.size() - 1;
  sys::launch(stream_, n, Probe{names, in_hash_.data(), slots_.data(), first_.data(), mask, slot_of_.data(), d_error_},
              "dictionary_probe");
  sys::launch(stream_, n, Flag{names, slots_.data(), first_.data(), slot_of_.data(), flag_.data(), bytes_.data()},
              "dictionary_flag");
  sys::exclusive_sum(temp_, flag_.data(), rank_.data(), n);
  sys::exclusive_sum(temp_, bytes_.data(), byte_off_.data(), n);
  sys::launch(stream_, n,
              Commit{names, in_hash_.data(), slots_.data(), first_.data(), slot_of_.data(), flag_.data(), rank_.data(),
                     byte_off_.data(), bytes_.data(), state_.data(), hash_.data(), name_off_.data(), name_len_.data(),
                     arena_.data(), totals_.data(), n},
              "dictionary_commit");
  sys::launch(stream_, 1, Advance{totals_.data(), state_.data()}, "dictionary_advance");
  sys::launch(stream_, n, Read{slots_.data(), slot_of_.data(), ids_.data(), in.d_bound}, "dictionary_read");
  // The totals come back with the caller's next synchronisation.
  sys::copy_async(&rb_[0].new_names, totals_.data(), 2 * sizeof(uint32_t), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(&rb_[0].error, d_error_, sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
  totals_pending_ = true;
  size_bound_ += n;
  arena_bound_ += in.text.size();
  return ids_.data();
}

void DeviceDictionary::absorb() {
  if (names_n_ > 0) {
    // An earlier call's new names: their lengths and bytes have arrived.
    uint64_t at = 0;
    for (uint32_t i = 0; i < names_n_; ++i) {
      names_->add(std::string_view(bytes_h_.data() + at, lens_h_[i]));
      at += lens_h_[i];
    }
    size_ += names_n_;
    arena_used_ += names_bytes_;
    names_n_ = 0;
    names_bytes_ = 0;
  }
  if (!totals_pending_) return;
  totals_pending_ = false;
  const Readback& rb = rb_[0];
  if (rb.error & kErrDictionaryFull) throw std::runtime_error("GPU engine: the ad dictionary's table is full");
  size_bound_ = size_ + rb.new_names;
  arena_bound_ = arena_used_ + rb.new_bytes;
  if (rb.new_names == 0) return;
  // Their lengths and bytes follow from the device's tables, to arrive with the next
  // synchronisation (nothing is in flight into the pinned buffers now).
  names_n_ = rb.new_names;
  names_bytes_ = rb.new_bytes;
  lens_h_.reserve_discard(names_n_);
  bytes_h_.reserve_discard(names_bytes_ > 0 ? names_bytes_ : 1);
  sys::copy_async(lens_h_.data(), name_len_.data() + size_, names_n_, sys::Copy::DeviceToHost, stream_);
  if (names_bytes_ > 0)
    sys::copy_async(bytes_h_.data(), arena_.data() + arena_used_, names_bytes_, sys::Copy::DeviceToHost, stream_);
}

void DeviceDictionary::settle() {
  while (!settled()) {
    sys::sync(stream_);
    absorb();
  }
}

std::vector<uint32_t> DeviceDictionary::intern_names(std::span<const std::string_view> names) {
  std::vector<char> text;
  std::vector<uint32_t> off, kept;
  std::vector<uint8_t> len;
  std::vector<uint64_t> hash;
  for (std::string_view s : names) {
    if (s.size() > 255) throw std::invalid_argument("ad id over 255 bytes: " + std::string(s.substr(0, 32)) + "...");
    kept.push_back(static_cast<uint32_t>(off.size()));
    off.push_back(static_cast<uint32_t>(text.size()));
    len.push_back(static_cast<uint8_t>(s.size()));
    hash.push_back(bytes_hash64(s.data(), s.size()));
    text.insert(text.end(), s.begin(), s.end());
  }
  std::vector<uint32_t> ids(names.size());
  const uint32_t* d = intern(AdsIn{text, off, len, hash, kept});
  if (d != nullptr) sys::copy_async(ids.data(), d, ids.size() * sizeof(uint32_t), sys::Copy::DeviceToHost, stream_);
  settle();
  return ids;
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
