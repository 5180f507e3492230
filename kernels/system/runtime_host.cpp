// The host system's runtime (runtime.h): device memory is host memory and every operation
// is complete when it returns, so streams order nothing and events are timestamps.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <atomic>
#include <stdexcept>
#include <string>

#include "kernels/system/runtime.h"

namespace clickagg::gpu_portable::sys {

struct HostEvent {
  std::chrono::steady_clock::time_point at{};
};

namespace {

std::atomic<uint64_t> waits{0};
void note_wait() { waits.fetch_add(1, std::memory_order_relaxed); }

// Device arrays hold 16-byte slots read with 16-byte atomics: align like cudaMalloc does.
constexpr size_t kAlign = 256;

void* allocate(size_t bytes) {
  void* p = std::aligned_alloc(kAlign, (std::max<size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign);
  if (p == nullptr) throw_out_of_memory("device_alloc");
  return p;
}

}  // namespace

void throw_out_of_memory(const char* where) {
  throw std::runtime_error(std::string("GPU out of memory (") + where +
                           "): use smaller batches, fewer retained minutes or --engine cpu");
}

void* device_alloc(size_t bytes, Stream, bool) { return allocate(bytes); }
void device_free(void* p, Stream, bool) noexcept { std::free(p); }
void* pinned_alloc(size_t bytes) { return allocate(bytes); }
void pinned_free(void* p) noexcept { std::free(p); }

void copy_async(void* dst, const void* src, size_t bytes, Copy, Stream) {
  if (bytes > 0) std::memmove(dst, src, bytes);
}
void copy(void* dst, const void* src, size_t bytes, Copy) {
  note_wait();
  if (bytes > 0) std::memmove(dst, src, bytes);
}
void fill_async(void* dst, int byte, size_t bytes, Stream) {
  if (bytes > 0) std::memset(dst, byte, bytes);
}
void fill(void* dst, int byte, size_t bytes) {
  note_wait();
  if (bytes > 0) std::memset(dst, byte, bytes);
}

Stream create_stream() { return nullptr; }
void destroy_stream(Stream) noexcept {}
void sync(Stream) { note_wait(); }

Event create_event(bool) { return new HostEvent; }
void destroy_event(Event event) noexcept { delete event; }
void record(Event event, Stream) { event->at = std::chrono::steady_clock::now(); }
void sync(Event) { note_wait(); }
double seconds_between(Event begin, Event end) { return std::chrono::duration<double>(end->at - begin->at).count(); }

void select_device(int) {}
void device_sync() { note_wait(); }
uint64_t host_waits() { return waits.load(std::memory_order_relaxed); }
void keep_freed_memory(int) {}
void check_launch(const char*) {}

}  // namespace clickagg::gpu_portable::sys
