#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"

// The first byte picks the format; the rest is the buffer.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace clickagg;
  if (size == 0) return 0;
  static constexpr Format kFormats[] = {Format::Log, Format::Json, Format::Binary, Format::Auto};
  const Format format = kFormats[data[0] % 4];
  const std::string_view buf(reinterpret_cast<const char*>(data + 1), size - 1);

  RecordSplitter splitter(buf, format);
  RecordRef r;
  Arena arena;
  uint64_t last_pos = 0;
  size_t covered = 0;  // binary: records tile the buffer with no gap or overlap
  bool first = true;
  bool binary = false;
  while (splitter.next(r)) {
    const char* b = r.bytes.data();
    fuzz::require(b >= buf.data() && b + r.bytes.size() <= buf.data() + buf.size());
    fuzz::require(first || r.position > last_pos);
    binary = splitter.position_label(0) == "byte 0";
    if (binary) {
      fuzz::require(r.position == covered && !r.bytes.empty());
      fuzz::require(static_cast<size_t>(b - buf.data()) == r.position);
      covered += r.bytes.size();
    } else {
      fuzz::require(!r.bytes.empty() && r.framing_error == nullptr);
      fuzz::require(r.bytes.find('\n') == std::string_view::npos);
    }
    first = false;
    last_pos = r.position;
    if (r.framing_error) continue;
    Event ev;
    if (decode_record(format, r.bytes, ev, arena) == nullptr) fuzz::check_event(ev);
  }
  if (binary) fuzz::require(covered == buf.size());
  return 0;
}
