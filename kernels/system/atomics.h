// The atomics kernel bodies use, for either system (system.h): libcu++'s cuda::atomic_ref at
// device scope, relaxed (the kernels' protocols need atomicity, not ordering: every result is
// read after the launch completes), which compiles for CUDA and for the host alike. The one
// exception is the 16-byte compare-and-swap that claims a fingerprint slot whole: sm_90's
// native 128-bit atomicCAS on CUDA, the compiler's 16-byte __atomic builtin on the host.
#pragma once
#include <cuda/atomic>
#include <cstdint>

#include "kernels/system/system.h"
#include "kernels/table_ref.h"

namespace clickagg::CLICKAGG_DEVICE_NS::sys {

template <class T>
using device_ref = cuda::atomic_ref<T, cuda::thread_scope_device>;

// The value another thread may be changing with atomics (never a stale cached copy).
template <class T>
CLICKAGG_DEV T load(const T* p) {
  return device_ref<T>(*const_cast<T*>(p)).load(cuda::std::memory_order_relaxed);
}
template <class T>
CLICKAGG_DEV void store(T* p, T v) {
  device_ref<T>(*p).store(v, cuda::std::memory_order_relaxed);
}
template <class T>
CLICKAGG_DEV T fetch_add(T* p, T v) {
  return device_ref<T>(*p).fetch_add(v, cuda::std::memory_order_relaxed);
}
template <class T>
CLICKAGG_DEV T fetch_min(T* p, T v) {
  return device_ref<T>(*p).fetch_min(v, cuda::std::memory_order_relaxed);
}
template <class T>
CLICKAGG_DEV T fetch_or(T* p, T v) {
  return device_ref<T>(*p).fetch_or(v, cuda::std::memory_order_relaxed);
}
// Returns the value found: `expected` when the swap happened.
template <class T>
CLICKAGG_DEV T compare_swap(T* p, T expected, T desired) {
  device_ref<T>(*p).compare_exchange_strong(expected, desired, cuda::std::memory_order_relaxed);
  return expected;
}

// Both halves of a fingerprint slot. The read may tear while another thread's 16-byte swap
// lands (probe.h's protocol allows for it: a slot only ever goes from {0, 0} to its key).
CLICKAGG_DEV FpSlot load_halves(const FpSlot* p) {
#if defined(__CUDACC__)
  const ulonglong2 v = __ldcg(reinterpret_cast<const ulonglong2*>(p));
  return FpSlot{v.x, v.y};
#else
  return FpSlot{load(&p->lo), load(&p->hi)};
#endif
}

// The slot's old value; the swap happened when it equals `expected`.
CLICKAGG_DEV FpSlot compare_swap_slot(FpSlot* p, FpSlot expected, FpSlot desired) {
#if defined(__CUDACC__)
  return atomicCAS(p, expected, desired);
#else
  __atomic_compare_exchange(p, &expected, &desired, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return expected;
#endif
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS::sys
