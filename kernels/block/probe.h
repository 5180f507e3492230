// Insert-or-find probes for the per-minute tables (table_ref.h), callable from any kernel.
//
// Fingerprint insert protocol (lock-free, race-free): the whole 16-byte slot is claimed with
// one 16-byte compare-and-swap (system/atomics.h), so a key is never half-written for another
// thread to see.
// A slot changes exactly once, from {0, 0} to its key, and never again while kernels run.
// The plain 16-byte pre-read may tear while another thread's CAS lands, but a torn read is a
// mix of {0, 0} and the final key, so when BOTH halves read non-zero it is the final key and
// can be trusted; anything else goes through the CAS, whose returned value is authoritative.
// Count keys are 64-bit and claimed with a 64-bit compare-and-swap; the count beside the key is
// only ever changed by atomic adds, starting from the zero the table was cleared with.
#pragma once
#include <cstdint>

#include "host/common/hash128.h"
#include "kernels/device_layout.h"
#include "kernels/system/atomics.h"
#include "kernels/system/system.h"
#include "kernels/table_ref.h"

namespace clickagg::CLICKAGG_DEVICE_NS::block {

// Slot of `key`, inserting it when absent; kNoSlot (and kErrTableFull) if the table is full,
// which the host's sizing rules out.
CLICKAGG_DEV uint32_t fp_insert_or_find(const FpTableRef& t, FpSlot key, unsigned* error) {
  unsigned long long i = key.lo & t.mask;  // fingerprints are uniform already
  for (unsigned long long probes = 0; probes <= t.mask; ++probes, i = (i + 1) & t.mask) {
    FpSlot* slot = &t.slots[i].key;
    const FpSlot seen = sys::load_halves(slot);
    if (seen.lo != 0 && seen.hi != 0) {
      if (seen.lo == key.lo && seen.hi == key.hi) return static_cast<uint32_t>(i);
      continue;
    }
    const FpSlot old = sys::compare_swap_slot(slot, FpSlot{0, 0}, key);
    if ((old.lo == 0 && old.hi == 0) || (old.lo == key.lo && old.hi == key.hi)) return static_cast<uint32_t>(i);
  }
  sys::fetch_or(error, kErrTableFull);
  return kNoSlot;
}

// Adds `n` to the count of `key`, inserting it when absent. True when this call inserted it.
CLICKAGG_DEV bool count_add(const CountTableRef& t, unsigned long long key, unsigned long long n, unsigned* error) {
  unsigned long long i = mix64(key) & t.mask;
  for (unsigned long long probes = 0; probes <= t.mask; ++probes, i = (i + 1) & t.mask) {
    CountSlot* slot = t.slots + i;
    unsigned long long k = sys::load(&slot->key);
    bool inserted = false;
    if (k == kEmptyCountKey) {
      k = sys::compare_swap(&slot->key, kEmptyCountKey, key);
      inserted = k == kEmptyCountKey;
      if (inserted) k = key;
    }
    if (k == key) {
      sys::fetch_add(&slot->count, n);
      return inserted;
    }
  }
  sys::fetch_or(error, kErrTableFull);
  return false;
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS::block
