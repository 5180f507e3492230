// Owning buffers: device arrays (stream-ordered through the engine's compute stream, or plain
// for buffers two streams share) and pinned host arrays for asynchronous copies, on either
// device system (kernels/system/runtime.h).
#pragma once
#include <algorithm>
#include <cstddef>
#include <memory_resource>
#include <utility>

#include "kernels/system/runtime.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  // Stream-ordered: allocated and freed in the order of `stream` (cudaMallocAsync), so only
  // work on that stream may touch it. A null stream means plain cudaMalloc/cudaFree, for
  // buffers that several streams use (the caller orders those uses with events).
  explicit DeviceArray(sys::Stream stream, bool ordered = true) : stream_(stream), ordered_(ordered) {}
  ~DeviceArray() { reset(); }
  DeviceArray(DeviceArray&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), size_(std::exchange(o.size_, 0)), stream_(o.stream_), ordered_(o.ordered_) {}
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = std::exchange(o.ptr_, nullptr);
      size_ = std::exchange(o.size_, 0);
      stream_ = o.stream_;
      ordered_ = o.ordered_;
    }
    return *this;
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  // Room for at least `n` elements; the old contents are dropped. Grows by half again at
  // least, so a slowly rising size does not reallocate every call.
  void reserve_discard(size_t n) {
    if (n <= size_) return;
    const size_t want = std::max(n, size_ + size_ / 2);
    reset();
    allocate(want);
  }
  // Exactly `n` elements (a table), old contents dropped.
  void assign_exact(size_t n) {
    reset();
    if (n > 0) allocate(n);
  }
  // Room for at least `n` elements, keeping the first `keep` (stream-ordered copy).
  void reserve_keep(size_t n, size_t keep) {
    if (n <= size_) return;
    DeviceArray bigger(stream_, ordered_);
    bigger.allocate(std::max(n, size_ + size_ / 2));
    if (keep > 0) {
      if (ordered_) sys::copy_async(bigger.ptr_, ptr_, keep * sizeof(T), sys::Copy::DeviceToDevice, stream_);
      else sys::copy(bigger.ptr_, ptr_, keep * sizeof(T), sys::Copy::DeviceToDevice);
    }
    *this = std::move(bigger);
  }
  void reset() noexcept {
    if (ptr_ == nullptr) return;
    sys::device_free(ptr_, stream_, ordered_);
    ptr_ = nullptr;
    size_ = 0;
  }

  T* data() const { return ptr_; }
  size_t size() const { return size_; }

 private:
  void allocate(size_t n) {
    ptr_ = static_cast<T*>(sys::device_alloc(n * sizeof(T), stream_, ordered_));
    size_ = n;
  }

  T* ptr_ = nullptr;
  size_t size_ = 0;
  sys::Stream stream_ = nullptr;
  bool ordered_ = true;
};

// Page-locked host memory: the source or target of copies that overlap other work.
template <class T>
class PinnedArray {
 public:
  PinnedArray() = default;
  ~PinnedArray() { reset(); }
  PinnedArray(PinnedArray&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  PinnedArray& operator=(PinnedArray&& o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = std::exchange(o.ptr_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  PinnedArray(const PinnedArray&) = delete;
  PinnedArray& operator=(const PinnedArray&) = delete;

  // The caller guarantees no copy from or into the old buffer is still in flight.
  void reserve_discard(size_t n) {
    if (n <= size_) return;
    const size_t want = std::max(n, size_ + size_ / 2);
    reset();
    ptr_ = static_cast<T*>(sys::pinned_alloc(want * sizeof(T)));
    size_ = want;
  }
  void reset() noexcept {
    if (ptr_ != nullptr) sys::pinned_free(ptr_);
    ptr_ = nullptr;
    size_ = 0;
  }
  T* data() const { return ptr_; }
  size_t size() const { return size_; }
  T& operator[](size_t i) const { return ptr_[i]; }

 private:
  T* ptr_ = nullptr;
  size_t size_ = 0;
};

// Queues the copy of n values from host memory into d (grown as needed, its old contents
// dropped) on `stream`. Pageable sources are copied before this returns; pinned ones must stay
// unchanged until the stream has passed the copy.
template <class T>
void upload_async(DeviceArray<T>& d, const T* h, size_t n, sys::Stream stream) {
  d.reserve_discard(n);
  if (n > 0) sys::copy_async(d.data(), h, n * sizeof(T), sys::Copy::HostToDevice, stream);
}

// Pinned host memory as a memory resource, for buffers the host fills and the device reads
// whole (a batch's columns, host/decode/event_columns.h): their copies run at the link's speed,
// without the driver staging them through a bounce buffer. One per process and never destroyed,
// since batches may outlive the engine that asked for it; allocations are at least 256-byte
// aligned. Allocating pinned memory is slow (it maps pages): for buffers that are kept and
// reused, not for per-batch ones.
std::pmr::memory_resource* pinned_memory();

}  // namespace clickagg::CLICKAGG_DEVICE_NS
