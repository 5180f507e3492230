#include "host/ops/archive_source.h"

#include <utility>

#include "host/archive/archive_reader.h"
#include "host/ops/event_batch.h"

namespace clickagg::ops {

ArchiveSource::ArchiveSource(std::string dir, size_t batch_size)
    : dir_(std::move(dir)), batch_size_(batch_size == 0 ? 1 : batch_size) {}

void ArchiveSource::read(int64_t from_ms, int64_t to_ms, const BatchFn& fn) {
  // The reader's events live only as long as its callback: copy them into batches.
  EventBatch batch;
  archive::read_archive(dir_, from_ms, to_ms, [&](const archive::ArchivedEvent& a) {
    Event ev = a.event;
    ev.position = a.offset;
    batch.add(ev);
    if (batch.size() >= batch_size_) {
      fn(batch.events());
      batch.clear();
    }
  });
  if (!batch.empty()) fn(batch.events());
}

}  // namespace clickagg::ops
