// The decode-and-reject step every ingest path takes per record, in one place: the record is
// decoded (into a batch's columns, or into one Event where a path keeps records), then checked
// against the event-time bound; a rejected record is counted and its reason returned for the
// caller to report its own way (rejects.txt, a Reject message, a dead-letter line).
#pragma once
#include <cstdint>
#include <string_view>

#include "host/decode/decode.h"
#include "host/decode/event_columns.h"
#include "host/decode/event_time_bound.h"

namespace clickagg {

class RecordDecoder {
 public:
  explicit RecordDecoder(Format format) : format_(format) {}

  // Appends the record to `out` as the event at `position`; `out` is unchanged on rejection.
  DecodeStatus into(EventColumns& out, std::string_view record, uint64_t position, const EventTimeBound& bound = {});
  // A record the splitter cut (a frame it could not read is a rejection too).
  DecodeStatus into(EventColumns& out, const RecordRef& rec, const EventTimeBound& bound = {});
  // Into one Event, whose strings view the record or this decoder's scratch; the scratch is
  // kept until release(), so a caller may hold the events of a whole poll.
  DecodeStatus into(Event& out, std::string_view record, const EventTimeBound& bound = {});
  void release() { arena_.reset(); }

  uint64_t records() const { return records_; }
  uint64_t rejected() const { return rejected_; }

 private:
  DecodeStatus tally(DecodeStatus status) {
    ++records_;
    if (status) ++rejected_;
    return status;
  }

  Format format_;
  Arena arena_;
  uint64_t records_ = 0, rejected_ = 0;
};

}  // namespace clickagg
