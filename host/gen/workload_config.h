// What the synthetic click workload looks like: how many events, how popularity is skewed,
// how fast event time advances, and how much of the stream is disordered, repeated or corrupt.
#pragma once
#include <cstdint>
#include <string>

namespace clickagg::gen {

struct GenConfig {
  uint64_t seed = 1;
  uint64_t count = 1'000'000;           // records to produce; 0 = unbounded
  uint64_t ads = 2'000'000;             // distinct ad ids
  double zipf = 1.1;                    // popularity exponent; 0 = uniform
  int64_t start_ms = 1'609'459'200'000; // event time of the first record: 2021-01-01T00:00:00Z
  double events_per_second = 10'000;    // event-time rate: timestamps advance 1/rate s per record
  uint64_t users = 1'000'000;           // distinct user ids
  double ipv6_fraction = 0.2;           // share of IPv6 addresses (the rest IPv4)
  double click_id_fraction = 0.5;       // share of events that carry a click_id

  // Shares of records, drawn independently per record; they must sum to at most 1.
  // Offsets are measured back from the largest event time emitted so far, and placed against
  // the default watermark delay (15 s) and allowed lateness (10 min) so each kind meets the
  // outcome its name promises for a single partition.
  double out_of_order = 0;  // back 1-14 s: inside the watermark delay, counted normally
  double late = 0;          // back 20 s-9 min into a closed window: counted as a correction
  double very_late = 0;     // back 15-60 min, past allowed lateness: dropped late
  double duplicate = 0;     // a verbatim repeat of an event from the last ~3 s of arrivals
  double malformed = 0;     // a corrupt record that decoding rejects
};

// The disorder the offsets above were placed against.
constexpr int64_t kAssumedDelayMs = 15'000;
constexpr int64_t kAssumedLatenessMs = 600'000;

// An empty string when the configuration is usable, else what is wrong with it.
std::string validate(const GenConfig& config);

}  // namespace clickagg::gen
