// Decodes one archive data file (an Avro container of ClickEvent records) into events.
#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "host/archive/archive_reader.h"

namespace clickagg::archive {

using EventFn = std::function<void(const ArchivedEvent&)>;

// Bad bytes in a data file (what fn throws passes through unchanged).
struct CorruptData : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Every record of a container file held in memory, in file order. Fields are looked up by
// name in the file's own schema, so files written by later schema versions that add fields
// still read. Throws CorruptData with the reason (not the file name) on bad data.
void decode_data_file(std::string_view bytes, const EventFn& fn);

// The first `length` bytes of the file at `path` (UINT64_MAX: the whole file). Throws
// std::runtime_error naming the file when it is unreadable, shorter than `length` or corrupt.
void read_data_file(const std::string& path, uint64_t length, const EventFn& fn);

}  // namespace clickagg::archive
