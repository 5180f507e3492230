#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace clickagg;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  Arena arena;
  Event ev;
  if (decode_json(line, ev, arena) != nullptr) return 0;
  fuzz::check_event(ev);
  fuzz::check_binary_round_trip(ev);
  // Dispatching on the first byte reaches the same decoder.
  Event again;
  fuzz::require(decode_record(Format::Auto, line, again, arena) == nullptr);
  fuzz::require(again.ad_id == ev.ad_id && again.t_ms == ev.t_ms);
  return 0;
}
