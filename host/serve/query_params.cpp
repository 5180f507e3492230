#include "host/serve/query_params.h"

#include <charconv>

#include "host/common/time_util.h"
#include "host/common/event.h"
#include "host/decode/timestamp.h"

namespace clickagg::serve {

namespace {
std::string quoted(std::string_view name) { return "'" + std::string(name) + "'"; }
}  // namespace

std::optional<std::string_view> single_param(const Params& params, std::string_view name) {
  const auto [first, last] = params.equal_range(std::string(name));
  if (first == last) return std::nullopt;
  if (std::next(first) != last) throw BadRequest(quoted(name) + " is given more than once");
  return std::string_view(first->second);
}

int64_t int_param(const Params& params, std::string_view name, int64_t fallback, int64_t lo,
                  int64_t hi) {
  const auto text = single_param(params, name);
  if (!text) return fallback;
  const std::string range = " in " + std::to_string(lo) + ".." + std::to_string(hi);
  int64_t value = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || ptr != end || (ec != std::errc{} && ec != std::errc::result_out_of_range))
    throw BadRequest(quoted(name) + " must be an integer" + range);
  if (ec == std::errc::result_out_of_range || value < lo || value > hi)
    throw BadRequest(quoted(name) + " is out of range: must be" + range);
  return value;
}

std::optional<int64_t> minute_param(const Params& params, std::string_view name) {
  const auto text = single_param(params, name);
  if (!text) return std::nullopt;
  const auto minute = parse_minute(*text);
  if (!minute)
    throw BadRequest(quoted(name) + " must be a valid UTC minute as yyyyMMddHHmm, e.g. 202101010000");
  // Event times run from 1970 to the end of 9999: no minute outside holds a count.
  if (*minute < 0 || *minute > minute_of(kMaxEventTimeMs))
    throw BadRequest(quoted(name) + " must be a minute from 197001010000 to 999912312359");
  return minute;
}

uint16_t filter_param(const Params& params, const std::set<uint16_t>& known) {
  const int64_t id = int_param(params, "filter", 0, 0, 65535);
  if (id != 0 && !known.contains(static_cast<uint16_t>(id)))
    throw BadRequest("unknown filter " + std::to_string(id));
  return static_cast<uint16_t>(id);
}

void check_ad_id(std::string_view ad_id) {
  if (ad_id.empty() || ad_id.size() > kMaxAdIdLen || ad_id.find(',') != std::string_view::npos)
    throw BadRequest("ad_id must be 1.." + std::to_string(kMaxAdIdLen) +
                     " bytes without commas");
}

}  // namespace clickagg::serve
