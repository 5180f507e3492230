// The CUDA system's runtime (runtime.h): the CUDA runtime's calls, each checked.
#include <atomic>
#include <stdexcept>
#include <string>

#include "kernels/system/runtime.h"

namespace clickagg::gpu::sys {

namespace {

std::atomic<uint64_t> waits{0};
void note_wait() { waits.fetch_add(1, std::memory_order_relaxed); }

[[noreturn]] void throw_error(cudaError_t err, const char* call) {
  // Clears a non-sticky error (such as a failed allocation) so the engine can still be torn
  // down cleanly; sticky errors stay, and every later call reports them again.
  (void)cudaGetLastError();
  if (err == cudaErrorMemoryAllocation) throw_out_of_memory(call);
  throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorName(err) + ": " + cudaGetErrorString(err) + " (" +
                           call + ")");
}

void check(cudaError_t err, const char* call) {
  if (err != cudaSuccess) throw_error(err, call);
}

cudaMemcpyKind kind_of(Copy k) {
  switch (k) {
    case Copy::HostToDevice: return cudaMemcpyHostToDevice;
    case Copy::DeviceToHost: return cudaMemcpyDeviceToHost;
    case Copy::DeviceToDevice: return cudaMemcpyDeviceToDevice;
  }
  return cudaMemcpyDefault;
}

}  // namespace

void throw_out_of_memory(const char* where) {
  throw std::runtime_error(std::string("GPU out of memory (") + where +
                           "): use smaller batches, fewer retained minutes or --engine cpu");
}

void* device_alloc(size_t bytes, Stream stream, bool ordered) {
  void* p = nullptr;
  if (ordered) check(cudaMallocAsync(&p, bytes, stream), "cudaMallocAsync");
  else check(cudaMalloc(&p, bytes), "cudaMalloc");
  return p;
}

void device_free(void* p, Stream stream, bool ordered) noexcept {
  // Errors cannot be reported from here (destructors); a failed free leaks at worst.
  if (ordered) (void)cudaFreeAsync(p, stream);
  else (void)cudaFree(p);
}

void* pinned_alloc(size_t bytes) {
  void* p = nullptr;
  check(cudaMallocHost(&p, bytes), "cudaMallocHost");
  return p;
}

void pinned_free(void* p) noexcept { (void)cudaFreeHost(p); }

void copy_async(void* dst, const void* src, size_t bytes, Copy kind, Stream stream) {
  check(cudaMemcpyAsync(dst, src, bytes, kind_of(kind), stream), "cudaMemcpyAsync");
}
void copy(void* dst, const void* src, size_t bytes, Copy kind) {
  note_wait();
  check(cudaMemcpy(dst, src, bytes, kind_of(kind)), "cudaMemcpy");
}
void fill_async(void* dst, int byte, size_t bytes, Stream stream) {
  check(cudaMemsetAsync(dst, byte, bytes, stream), "cudaMemsetAsync");
}
void fill(void* dst, int byte, size_t bytes) {
  note_wait();
  check(cudaMemset(dst, byte, bytes), "cudaMemset");
}

Stream create_stream() {
  cudaStream_t s = nullptr;
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  return s;
}
void destroy_stream(Stream stream) noexcept {
  if (stream == nullptr) return;
  (void)cudaStreamSynchronize(stream);
  (void)cudaStreamDestroy(stream);
}
void sync(Stream stream) {
  note_wait();
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize"); }

Event create_event(bool timing) {
  cudaEvent_t e = nullptr;
  check(cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming), "cudaEventCreateWithFlags");
  return e;
}
void destroy_event(Event event) noexcept {
  if (event != nullptr) (void)cudaEventDestroy(event);
}
void record(Event event, Stream stream) { check(cudaEventRecord(event, stream), "cudaEventRecord"); }
void sync(Event event) {
  note_wait();
  check(cudaEventSynchronize(event), "cudaEventSynchronize"); }
double seconds_between(Event begin, Event end) {
  float ms = 0;
  check(cudaEventElapsedTime(&ms, begin, end), "cudaEventElapsedTime");
  return static_cast<double>(ms) / 1000.0;
}

void select_device(int device) { check(cudaSetDevice(device), "cudaSetDevice"); }
void device_sync() {
  note_wait();
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}
uint64_t host_waits() { return waits.load(std::memory_order_relaxed); }
void keep_freed_memory(int device) {
  cudaMemPool_t pool = nullptr;
  check(cudaDeviceGetDefaultMemPool(&pool, device), "cudaDeviceGetDefaultMemPool");
  uint64_t keep = ~uint64_t{0};
  check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep), "cudaMemPoolSetAttribute");
}
void check_launch(const char* kernel) {
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) throw_error(err, (std::string("launch of ") + kernel).c_str());
}

}  // namespace clickagg::gpu::sys
