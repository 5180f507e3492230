// Validation of query-string parameters for the API. Every malformed or out-of-range value
// becomes a BadRequest whose message names the parameter and what it accepts; the server
// turns it into HTTP 400 with a JSON body.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

namespace clickagg::serve {

struct BadRequest : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// The decoded query string (http::HttpRequest::params).
using Params = std::multimap<std::string, std::string>;

// The value of `name`, nullopt when absent; a parameter given twice is a BadRequest.
std::optional<std::string_view> single_param(const Params& params, std::string_view name);
// A decimal integer in [lo, hi]; `fallback` when absent.
int64_t int_param(const Params& params, std::string_view name, int64_t fallback, int64_t lo,
                  int64_t hi);
// A minute as yyyyMMddHHmm (UTC), returned as minutes since the epoch; nullopt when absent.
std::optional<int64_t> minute_param(const Params& params, std::string_view name);
// 0 (all clicks) or one of `known`; 0 when absent.
uint16_t filter_param(const Params& params, const std::set<uint16_t>& known);
// An ad id as the events define it: 1..64 bytes, no comma.
void check_ad_id(std::string_view ad_id);

}  // namespace clickagg::serve
