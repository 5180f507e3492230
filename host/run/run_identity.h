// What makes an all-in-one run's generated stream the same stream after a restart: the
// generator's settings, its seed and start, the pace, and when the run first started. Kept
// as run.json in the run's state directory at the first start and read back at every later
// one, so record n is the same record however often the process was killed in between.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "host/decode/decode.h"
#include "host/gen/workload_config.h"

namespace clickagg::run {

struct RunIdentity {
  gen::GenConfig gen;          // seed and start resolved; count 0 = unbounded
  Format format = Format::Log;
  double rate = 20'000;        // records per wall-clock second
  int64_t first_start_ms = 0;  // wall clock of the first start: record n is due at first + n / rate
};

// The identity recorded in `state_dir`, nullopt when none is (a first start). Throws
// std::runtime_error on an unreadable or damaged file.
std::optional<RunIdentity> load_identity(const std::string& state_dir);
// Records it atomically (written once, at the first start).
void save_identity(const std::string& state_dir, const RunIdentity& id);
// The settings in which `wanted` differs from `saved`, comma-separated; empty when none. The
// seed is compared only when `seed_given`, the start only when `start_given` (an absolute
// time: "now" names a different time at every start).
std::string differences(const RunIdentity& saved, const RunIdentity& wanted, bool seed_given, bool start_given);

}  // namespace clickagg::run
