// Host side of a chunk: cuts the events a batch kept (not dropped late) into chunks and packs
// each into pinned staging memory as DeviceEvent rows, read from the batch's columns (one row
// per event, written on the engine's threads).
#pragma once
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "host/decode/event_columns.h"
#include "host/engine/engine_backend.h"
#include "host/engine/thread_pool.h"
#include "kernels/device_layout.h"
#include "kernels/device_memory.h"
#include "kernels/filter_table.h"
#include "kernels/system/system.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

struct ChunkLimits {
  size_t events = size_t(1) << 22;
};

// One packed chunk: positions [begin, end) of the kept-event list.
struct PackedChunk {
  size_t begin = 0, end = 0;
  std::vector<int64_t> minutes;         // chunk-local minute id -> minute
  std::vector<uint32_t> minute_events;  // events per local minute
  size_t size() const { return end - begin; }
};

class EventPacker {
 public:
  explicit EventPacker(ThreadPool& pool) : pool_(pool) {}

  // Packs batch events kept[begin], kept[begin + 1], ... (in that order) until a limit is
  // reached, at least one event. The events' ad indexes are not in the rows: the device
  // dictionary (device_dictionary.h) writes them as a column of their own, by kept position.
  PackedChunk pack(const EventColumns& batch, std::span<const uint32_t> kept, const BatchJudgement& j,
                   size_t begin, const ChunkLimits& limits,
                   const DeviceFilterTable& filters, PinnedArray<DeviceEvent>& rows);

 private:
  ThreadPool& pool_;
  std::unordered_map<uint32_t, uint16_t> local_;  // batch-local minute -> chunk-local id
  std::vector<uint16_t> local_of_;
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
