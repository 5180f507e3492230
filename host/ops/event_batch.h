// A batch of events that owns its strings, for sources whose events are valid only while a
// callback runs (the archive reader) but that feed an engine in larger batches.
#pragma once
#include <span>
#include <string_view>
#include <vector>

#include "host/decode/decode.h"
#include "host/common/event.h"

namespace clickagg::ops {

class EventBatch {
 public:
  // Appends a copy of `ev` whose strings live in this batch.
  void add(const Event& ev);
  std::span<const Event> events() const { return events_; }
  size_t size() const { return events_.size(); }
  bool empty() const { return events_.empty(); }
  void clear();

 private:
  std::string_view keep(std::string_view s);

  Arena arena_;
  std::vector<Event> events_;
};

}  // namespace clickagg::ops
