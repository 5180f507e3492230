// Reads the raw-event archive that `clickagg archive` writes (see archive_writer.h for the
// layout): the source of truth for recalculation and reconciliation.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "host/common/event.h"

namespace clickagg::archive {

// One archived event and the Kafka record it came from. `event`'s strings (ad_id, user_id,
// click_id) are views into the reader's buffers: valid only during the callback that receives
// it; copy them to keep them. event.position holds the Kafka offset.
struct ArchivedEvent {
  Event event;
  uint32_t partition;
  uint64_t offset;
};

// Calls fn for every archived event whose event time lies in [from_ms, to_ms), reading only the
// hour directories that can hold such events, file by file in name order, events in file order.
// Only what the archiver has committed is read (a running archiver may be writing meanwhile):
// open files up to their committed length, files it has not committed yet not at all.
// Throws std::runtime_error on an unreadable or corrupt file (naming it).
void read_archive(const std::string& dir, int64_t from_ms, int64_t to_ms,
                  const std::function<void(const ArchivedEvent&)>& fn);

}  // namespace clickagg::archive
