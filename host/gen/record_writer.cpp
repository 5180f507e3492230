#include "host/gen/record_writer.h"

#include <stdexcept>

#include "host/decode/binary_format.h"
#include "host/gen/malformed_records.h"
#include "host/gen/record_text.h"

namespace clickagg::gen {

void append_log_record(const GenEvent& ev, std::string& out) {
  if (ev.kind == RecordKind::Malformed) return append_malformed_log(ev, out);
  render_log(text_record(ev), out);
}

void append_json_record(const GenEvent& ev, std::string& out) {
  if (ev.kind == RecordKind::Malformed) return append_malformed_json(ev, out);
  render_json(text_record(ev), out);
}

void append_binary_record(const GenEvent& ev, std::string& out) {
  if (ev.kind == RecordKind::Malformed) return append_malformed_binary(ev, out);
  binfmt::encode(ev.view(), out);
}

void append_record(Format format, const GenEvent& ev, std::string& out) {
  switch (format) {
    case Format::Log: return append_log_record(ev, out);
    case Format::Json: return append_json_record(ev, out);
    case Format::Binary: return append_binary_record(ev, out);
    case Format::Auto: break;
  }
  throw std::invalid_argument("records are written as log, json or binary");
}

uint64_t write_records(Generator& gen, Format format, uint64_t max_records, std::string& out) {
  uint64_t n = 0;
  for (; n < max_records && !gen.done(); ++n) append_record(format, gen.next(), out);
  return n;
}

}  // namespace clickagg::gen
