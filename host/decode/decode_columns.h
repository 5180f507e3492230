// Decoding straight into a batch's columns: the one step every ingest path takes per record.
#pragma once
#include <cstdint>
#include <string_view>

#include "host/decode/decode.h"
#include "host/decode/event_columns.h"
#include "host/decode/event_time_bound.h"

namespace clickagg {

// Decodes `record` and appends it to `out` as the event at `position`; returns nullptr, or the
// reason it was rejected (then `out` is unchanged): malformed, or dated beyond `bound`.
// Strings a decoder rewrote are copied into the batch, so `arena` is free again when this
// returns.
DecodeStatus decode_into(Format format, std::string_view record, uint64_t position, EventColumns& out, Arena& arena,
                         const EventTimeBound& bound = {});

}  // namespace clickagg
