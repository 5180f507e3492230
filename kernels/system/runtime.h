// The device runtime the engine needs, for either system (system.h): memory, copies, streams
// and events. For CUDA these are the CUDA runtime's calls, checked (runtime_cuda.cpp); for the
// host system "device" memory is host memory, every operation completes before it returns,
// and a stream is only an ordering the host already has (runtime_host.cpp).
//
// Every failure throws std::runtime_error naming the call and the place; running out of
// device memory says "GPU out of memory" and names --engine cpu, so callers can tell it from
// bad input.
#pragma once
#include <cstddef>

#include "kernels/system/system.h"

#if !defined(CLICKAGG_DEVICE_HOST)
#include <cuda_runtime.h>
#endif

namespace clickagg::CLICKAGG_DEVICE_NS::sys {

#if defined(CLICKAGG_DEVICE_HOST)
struct HostStream;
struct HostEvent;
using Stream = HostStream*;  // always null: the host runs everything in order
using Event = HostEvent*;
#else
using Stream = cudaStream_t;
using Event = cudaEvent_t;
#endif

enum class Copy { HostToDevice, DeviceToHost, DeviceToDevice };

// `ordered`: allocated and freed in the order of `stream` (stream-ordered pool); otherwise a
// plain allocation any stream may use.
void* device_alloc(size_t bytes, Stream stream, bool ordered);
void device_free(void* p, Stream stream, bool ordered) noexcept;
// Page-locked host memory (the source and target of asynchronous copies).
void* pinned_alloc(size_t bytes);
void pinned_free(void* p) noexcept;

void copy_async(void* dst, const void* src, size_t bytes, Copy kind, Stream stream);
void copy(void* dst, const void* src, size_t bytes, Copy kind);  // synchronous
void fill_async(void* dst, int byte, size_t bytes, Stream stream);
void fill(void* dst, int byte, size_t bytes);  // synchronous

Stream create_stream();
void destroy_stream(Stream stream) noexcept;
void sync(Stream stream);
// Events: `timing` ones can be measured with seconds_between() once both have completed.
Event create_event(bool timing);
void destroy_event(Event event) noexcept;
void record(Event event, Stream stream);
void sync(Event event);
double seconds_between(Event begin, Event end);

void select_device(int device);
void device_sync();
// How many times this process's host has waited for a device (the synchronising calls above:
// stream, event and device syncs and the synchronous copies and fills), for tests and
// benchmarks that count synchronisations per batch.
uint64_t host_waits();
// Freed device memory stays in the allocator's pool for reuse (tables come and go with minutes).
void keep_freed_memory(int device);
// After a kernel launch: launch errors surface here, execution errors at the next sync.
void check_launch(const char* kernel);

// The failure a device allocation raises when memory runs out (also the failure injected by
// GpuOptions::fail_at_chunk), as a std::runtime_error.
[[noreturn]] void throw_out_of_memory(const char* where);

}  // namespace clickagg::CLICKAGG_DEVICE_NS::sys
