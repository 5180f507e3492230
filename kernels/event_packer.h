// Host side of a chunk: cuts the events a process() call kept (not dropped late) into chunks
// and packs each into pinned staging memory as DeviceEvent rows plus a string blob, interning
// ad ids into the engine's dictionary on the way (the only sequential step; hashing and row
// filling run on the engine's threads).
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>
#include <vector>

#include "host/decode/event.h"
#include "host/engine/ad_dictionary.h"
#include "host/engine/thread_pool.h"
#include "host/engine/window_lifecycle.h"
#include "kernels/device_layout.h"
#include "kernels/device_memory.h"
#include "kernels/filter_table.h"

namespace clickagg::gpu {

struct ChunkLimits {
  size_t events = size_t(1) << 22;
  size_t blob_bytes = size_t(1) << 29;  // at most 2^31: blob offsets are 32-bit
};

// One packed chunk: positions [begin, end) of the kept-event list.
struct PackedChunk {
  size_t begin = 0, end = 0;
  std::vector<int64_t> minutes;         // chunk-local minute id -> minute
  std::vector<uint32_t> minute_events;  // events per local minute
  size_t blob_bytes = 0;
  size_t size() const { return end - begin; }
};

class EventPacker {
 public:
  explicit EventPacker(unsigned threads);

  // Packs events[kept[begin]], events[kept[begin + 1]], ... (in that order) until a limit is
  // reached, at least one event. `minute` and `verdict` are indexed like `events`.
  PackedChunk pack(std::span<const Event> events, std::span<const uint32_t> kept, std::span<const int64_t> minute,
                   std::span<const Verdict> verdict, size_t begin, const ChunkLimits& limits, AdDictionary& ads,
                   const DeviceFilterTable& filters, PinnedArray<DeviceEvent>& rows, PinnedArray<char>& blob);

 private:
  // fn(lo, hi) over [0, n), on the pool when n is large enough to pay for it.
  void parallel_ranges(size_t n, const std::function<void(size_t, size_t)>& fn);

  ThreadPool pool_;
  std::unordered_map<int64_t, uint16_t> local_;
  std::vector<uint16_t> local_of_;
  std::vector<uint32_t> str_off_;
  std::vector<uint64_t> hash_;
  std::vector<uint32_t> ad_;
};

}  // namespace clickagg::gpu
