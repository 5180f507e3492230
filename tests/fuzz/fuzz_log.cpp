#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"

namespace {

// A plain reference split of the fields after the tag, to check the decoder's word-at-a-time
// comma scan against.
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace clickagg;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  Event ev;
  if (decode_log(line, ev) != nullptr) return 0;
  fuzz::check_event(ev);
  // Text fields are views into the line.
  for (std::string_view v : {ev.ad_id, ev.user_id, ev.click_id}) {
    fuzz::require(v.empty() ||
                  (v.data() >= line.data() && v.data() + v.size() <= line.data() + size));
  }

  std::string_view rest = line.substr(14);
  std::string_view fields[7];
  size_t count = 0;
  for (;;) {
    const size_t comma = rest.find(',');
    fuzz::require(count < 6);
    fields[count++] = trim(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  fuzz::require(count == 5 || count == 6);
  fuzz::require(fields[0] == ev.ad_id && fields[2] == ev.user_id);
  fuzz::require(ev.click_id == (count == 6 ? fields[5] : std::string_view{}));

  fuzz::check_binary_round_trip(ev);
  return 0;
}
