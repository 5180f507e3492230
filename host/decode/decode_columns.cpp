#include "host/decode/decode_columns.h"

namespace clickagg {

DecodeStatus decode_into(Format format, std::string_view record, uint64_t position, EventColumns& out, Arena& arena,
                         const EventTimeBound& bound) {
  Event ev;
  DecodeStatus err = decode_record(format, record, ev, arena);
  if (err == nullptr) err = bound.check(ev.t_ms);
  if (err == nullptr) {
    ev.position = position;
    out.append(ev);
  }
  arena.reset();
  return err;
}

}  // namespace clickagg
