#include "host/decode/binary_format.h"
#include "host/decode/decode.h"

namespace clickagg {

DecodeStatus decode_record(Format format, std::string_view record, Event& out, Arena& arena) {
  switch (format) {
    case Format::Log: return decode_log(record, out);
    case Format::Json: return decode_json(record, out, arena);
    case Format::Binary: return decode_binary(record, out);
    case Format::Auto: break;
  }
  if (record.size() > kMaxRecordLen) return "oversized record";
  if (record.size() >= 2 && static_cast<uint8_t>(record[0]) == binfmt::kMagic0 &&
      static_cast<uint8_t>(record[1]) == binfmt::kMagic1)
    return decode_binary(record, out);
  // JSON may start with whitespace; a log line must start with its tag.
  size_t i = 0;
  while (i < record.size() &&
         (record[i] == ' ' || record[i] == '\t' || record[i] == '\n' || record[i] == '\r'))
    ++i;
  if (i < record.size() && record[i] == '{') return decode_json(record, out, arena);
  if (!record.empty() && record[0] == '[') return decode_log(record, out);
  return "unknown format";
}

}  // namespace clickagg
