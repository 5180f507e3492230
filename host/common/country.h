// Country codes: case-insensitive, ISO 3166 alpha-3 mapped to alpha-2, unknown codes kept
// upper-cased.
#pragma once
#include <span>
#include <string_view>

#include "host/common/event.h"

namespace clickagg {

// False when the code is empty, longer than kMaxCountryLen or holds a byte outside
// printable ASCII.
bool normalize_country(std::string_view raw, Country& out);

// The ISO 3166-1 alpha-3 -> alpha-2 table the normaliser uses, sorted by alpha-3.
struct CountryCodePair {
  char alpha3[4];
  char alpha2[3];
};
std::span<const CountryCodePair> iso3166_alpha3_table();

}  // namespace clickagg
