#include "host/gen/workload_config.h"

#include <cmath>

#include "host/common/time_util.h"

namespace clickagg::gen {
namespace {

bool is_fraction(double v) { return v >= 0.0 && v <= 1.0; }

}  // namespace

std::string validate(const GenConfig& c) {
  // Rng::below() is exact up to 2^32, and ids must fit the 64-byte ad_id limit anyway.
  constexpr uint64_t kMaxUniverse = uint64_t{1} << 32;
  if (c.ads == 0 || c.ads > kMaxUniverse) return "ads must be between 1 and 4294967296";
  if (c.users == 0 || c.users > kMaxUniverse) return "users must be between 1 and 4294967296";
  if (!std::isfinite(c.zipf) || c.zipf < 0 || c.zipf > 100) return "zipf exponent must be in [0, 100]";
  if (!std::isfinite(c.events_per_second) || c.events_per_second <= 0 || c.events_per_second > 1e9)
    return "events per second must be in (0, 1e9]";
  // Event times run from the epoch to year 9999; very late records reach an hour back.
  const int64_t lo = 3'600'000;
  const int64_t hi = days_from_civil(9000, 1, 1) * 86'400'000;
  if (c.start_ms < lo || c.start_ms > hi)
    return "start time must be between 1970-01-01 01:00:00 and 9000-01-01";
  const struct {
    const char* name;
    double value;
  } fractions[] = {{"ipv6 fraction", c.ipv6_fraction}, {"click_id fraction", c.click_id_fraction},
                   {"out-of-order fraction", c.out_of_order}, {"late fraction", c.late},
                   {"very-late fraction", c.very_late}, {"duplicate fraction", c.duplicate},
                   {"malformed fraction", c.malformed}};
  for (const auto& f : fractions)
    if (!is_fraction(f.value)) return std::string(f.name) + " must be between 0 and 1";
  const double disorder = c.out_of_order + c.late + c.very_late + c.duplicate + c.malformed;
  if (disorder > 1.0 + 1e-12)
    return "out-of-order, late, very-late, duplicate and malformed fractions must sum to at most 1";
  return {};
}

}  // namespace clickagg::gen
