// Generated events already in decoded form, for engine benchmarks and tests that want to skip
// text rendering and parsing. The strings live in large blocks owned by the set; the Event
// views stay valid for the set's lifetime (moving the set keeps them valid too).
#pragma once
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "host/common/event.h"
#include "host/gen/gen_event.h"
#include "host/gen/workload_config.h"

namespace clickagg::gen {

class EventSet {
 public:
  EventSet() = default;
  EventSet(EventSet&&) noexcept = default;
  EventSet& operator=(EventSet&&) noexcept = default;
  EventSet(const EventSet&) = delete;
  EventSet& operator=(const EventSet&) = delete;

  // Adds a well-formed event (copies its strings into the set's storage).
  void add(const GenEvent& ev);

  std::vector<Event> events;      // in stream order, malformed records left out
  std::vector<RecordKind> kinds;  // parallel to events
  uint64_t malformed = 0;         // records left out because they cannot be decoded

 private:
  std::string_view store(std::string_view s);
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_used_ = 0;
  size_t block_size_ = 0;
};

// The first config.count records of the stream (config.count must be > 0) as events:
// exactly what decoding the generated records in any format would yield.
EventSet generate_event_set(const GenConfig& config);

}  // namespace clickagg::gen
