// The country field as app servers write it: a weighted mix of ISO alpha-2 and alpha-3
// codes in either case ("US", "usa", "GBR", "de", ...), each paired with the alpha-2 code it
// normalises to so events can be produced already decoded.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "host/gen/rng.h"

namespace clickagg::gen {

struct CountryEntry {
  std::string_view raw;      // as written in the record
  std::string_view alpha2;   // what decoding normalises it to (upper-cased if unknown)
  uint32_t weight;
};

std::span<const CountryEntry> country_table();

// Picks an index into country_table() with probability proportional to its weight.
uint8_t pick_country(Rng& rng);

}  // namespace clickagg::gen
