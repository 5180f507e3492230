// Record decoders for the three input formats. Each call decodes one record and either fills
// `out` or returns the reason it was rejected; decoders never throw, never allocate per field
// and never read outside the record.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/common/event.h"

namespace clickagg {

enum class Format { Log, Json, Binary, Auto };
std::optional<Format> parse_format(std::string_view name);
std::string_view format_name(Format f);

// Backing store for strings a decoder had to rewrite (JSON escapes). Views into it stay valid
// until reset(); chunks are never moved.
class Arena {
 public:
  char* allocate(size_t n);
  void reset();

 private:
  std::deque<std::string> chunks_;
  size_t used_ = 0;  // bytes used in chunks_.back()
};

// nullptr on success, else a static, human-readable reason ("bad timestamp", ...).
using DecodeStatus = const char*;

DecodeStatus decode_log(std::string_view line, Event& out);
DecodeStatus decode_json(std::string_view line, Event& out, Arena& arena);
DecodeStatus decode_binary(std::string_view record, Event& out);

// Dispatches on the format; `Auto` looks at the first byte of each record
// ('[' log, '{' json, binary magic).
DecodeStatus decode_record(Format format, std::string_view record, Event& out, Arena& arena);

// Splits a whole input buffer into records: lines for text (a trailing '\r' is dropped, an
// empty line is skipped), length-framed records for binary. The position of a record is its
// 1-based line number for text and its byte offset for binary.
struct RecordRef {
  std::string_view bytes;
  uint64_t position;
  DecodeStatus framing_error = nullptr;  // a binary frame that could not be read
};
class RecordSplitter {
 public:
  RecordSplitter(std::string_view buffer, Format format);
  bool next(RecordRef& out);
  // Position label for reject files: "line 12" or "byte 4096".
  std::string position_label(uint64_t position) const;
  // Bytes of the buffer consumed so far (progress reports).
  size_t offset() const { return off_; }

 private:
  std::string_view buf_;
  Format format_;
  size_t off_ = 0;
  uint64_t line_ = 0;
};

}  // namespace clickagg
