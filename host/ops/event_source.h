// Where a recount reads raw click events from: the raw-event archive, or a Kafka topic read
// from its beginning.
#pragma once
#include <cstdint>
#include <functional>
#include <span>

#include "host/common/event.h"

namespace clickagg::ops {

class EventSource {
 public:
  virtual ~EventSource() = default;
  using BatchFn = std::function<void(std::span<const Event>)>;
  // Calls `fn` with batches holding every event whose event time lies in [from_ms, to_ms),
  // each exactly as often as the source holds it. Events of the same minute come in the order
  // the topic holds them, by partition and then offset (the recount's "first" of a key, see
  // recount.h). The events and their strings are valid only during the call. Throws
  // std::runtime_error when the source cannot be read.
  virtual void read(int64_t from_ms, int64_t to_ms, const BatchFn& fn) = 0;
};

}  // namespace clickagg::ops
