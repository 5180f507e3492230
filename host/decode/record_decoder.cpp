#include "host/decode/record_decoder.h"

#include "host/decode/decode_columns.h"

namespace clickagg {

DecodeStatus RecordDecoder::into(EventColumns& out, std::string_view record, uint64_t position,
                                 const EventTimeBound& bound) {
  return tally(decode_into(format_, record, position, out, arena_, bound));
}

DecodeStatus RecordDecoder::into(EventColumns& out, const RecordRef& rec, const EventTimeBound& bound) {
  if (rec.framing_error) return tally(rec.framing_error);
  return into(out, rec.bytes, rec.position, bound);
}

DecodeStatus RecordDecoder::into(Event& out, std::string_view record, const EventTimeBound& bound) {
  DecodeStatus status = decode_record(format_, record, out, arena_);
  if (!status) status = bound.check(out.t_ms);
  return tally(status);
}

}  // namespace clickagg
