#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace clickagg;
  const std::string_view rec(reinterpret_cast<const char*>(data), size);
  Event ev;
  if (decode_binary(rec, ev) != nullptr) return 0;
  fuzz::check_event(ev);
  fuzz::require(size >= binfmt::kHeaderLen && size <= kMaxRecordLen);
  fuzz::check_binary_round_trip(ev);
  return 0;
}
