// Renders generated records in the input formats, appending to a caller-owned buffer so a
// stream is produced without per-record allocation once the buffer has grown.
#pragma once
#include <cstdint>
#include <string>

#include "host/decode/decode.h"
#include "host/gen/gen_event.h"
#include "host/gen/generator.h"

namespace clickagg::gen {

// `[AdClickEvent] ad001, 2021-01-01 00:00:01.123, user 1, 207.148.22.22, USA[, click_id]\n`
void append_log_record(const GenEvent& ev, std::string& out);
// One JSON object and '\n'; click_timestamp in the event's TimestampForm.
void append_json_record(const GenEvent& ev, std::string& out);
// Binary format v1 (see host/decode/binary_format.h), records back to back.
void append_binary_record(const GenEvent& ev, std::string& out);

// Dispatches on `format` (Log, Json or Binary; Auto throws std::invalid_argument).
// Malformed records come out as the corrupt bytes of that format.
void append_record(Format format, const GenEvent& ev, std::string& out);

// Pulls up to `max_records` records from `gen` (fewer once it is done) and appends them;
// returns how many were appended.
uint64_t write_records(Generator& gen, Format format, uint64_t max_records, std::string& out);

}  // namespace clickagg::gen
