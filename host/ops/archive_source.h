// Events from the raw-event archive (`clickagg archive`): the source of truth of a recount.
#pragma once
#include <string>

#include "host/ops/event_source.h"

namespace clickagg::ops {

class ArchiveSource final : public EventSource {
 public:
  explicit ArchiveSource(std::string dir, size_t batch_size = 65'536);
  // Reads only the hour directories that can hold such events (archive_reader.h): directory
  // by directory, files in name order (partition, first offset), events in file order. A
  // minute lies in one hour directory, so its events come by partition, then offset.
  void read(int64_t from_ms, int64_t to_ms, const BatchFn& fn) override;

 private:
  std::string dir_;
  size_t batch_size_;
};

}  // namespace clickagg::ops
