#include "host/gen/countries.h"

#include <array>

namespace clickagg::gen {
namespace {

// Weights are per ten thousand, loosely following where ad traffic comes from. "xk" is a
// user-assigned code no ISO table lists, so it exercises the "unknown, upper-cased" path.
constexpr CountryEntry kCountries[] = {
    {"US", "US", 1800}, {"USA", "US", 700}, {"us", "US", 400},  {"usa", "US", 200},
    {"GB", "GB", 390},  {"GBR", "GB", 200}, {"gb", "GB", 100},  {"gbr", "GB", 50},
    {"DE", "DE", 450},  {"DEU", "DE", 150}, {"de", "DE", 150},  {"FR", "FR", 300},
    {"FRA", "FR", 100}, {"fr", "FR", 100},  {"IN", "IN", 600},  {"IND", "IN", 200},
    {"in", "IN", 100},  {"CN", "CN", 500},  {"CHN", "CN", 200}, {"JP", "JP", 350},
    {"JPN", "JP", 100}, {"jp", "JP", 100},  {"BR", "BR", 350},  {"BRA", "BR", 100},
    {"CA", "CA", 250},  {"CAN", "CA", 100}, {"AU", "AU", 150},  {"AUS", "AU", 50},
    {"KR", "KR", 150},  {"kor", "KR", 50},  {"NL", "NL", 120},  {"nld", "NL", 40},
    {"ES", "ES", 150},  {"esp", "ES", 50},  {"IT", "IT", 150},  {"ITA", "IT", 50},
    {"MX", "MX", 200},  {"MEX", "MX", 50},  {"SE", "SE", 80},   {"swe", "SE", 20},
    {"PL", "PL", 80},   {"TR", "TR", 80},   {"ID", "ID", 150},  {"NG", "NG", 60},
    {"ZA", "ZA", 60},   {"EG", "EG", 50},   {"AR", "AR", 60},   {"ch", "CH", 50},
    {"SG", "SG", 50},   {"xk", "XK", 10},
};

constexpr uint32_t total_weight() {
  uint32_t total = 0;
  for (const auto& c : kCountries) total += c.weight;
  return total;
}
constexpr uint32_t kTotalWeight = total_weight();
static_assert(kTotalWeight == 10'000);

// One slot per unit of weight: a pick is a single table lookup.
struct PickTable {
  std::array<uint8_t, kTotalWeight> entry{};
  constexpr PickTable() {
    size_t slot = 0;
    for (size_t i = 0; i < std::size(kCountries); ++i)
      for (uint32_t w = 0; w < kCountries[i].weight; ++w) entry[slot++] = static_cast<uint8_t>(i);
  }
};
constexpr PickTable kPickTable{};

}  // namespace

std::span<const CountryEntry> country_table() { return kCountries; }

uint8_t pick_country(Rng& rng) { return kPickTable.entry[rng.below(kTotalWeight)]; }

}  // namespace clickagg::gen
