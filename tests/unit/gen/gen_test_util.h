// Small helpers the generator tests share.
#pragma once
#include <string>
#include <vector>

#include "host/gen/generator.h"
#include "host/gen/record_writer.h"

namespace clickagg::gen::testing {

inline std::string render_all(const GenConfig& config, Format format) {
  Generator g(config);
  std::string out;
  write_records(g, format, config.count, out);
  return out;
}

inline std::vector<GenEvent> collect(const GenConfig& config) {
  Generator g(config);
  std::vector<GenEvent> events;
  events.reserve(config.count);
  while (!g.done()) events.push_back(g.next());
  return events;
}

// A workload with every kind of disorder, for tests that check how each is placed.
inline GenConfig disordered(uint64_t count, uint64_t seed = 5) {
  GenConfig c;
  c.seed = seed;
  c.count = count;
  c.ads = 5'000;
  c.users = 20'000;
  c.out_of_order = 0.10;
  c.late = 0.05;
  c.very_late = 0.03;
  c.duplicate = 0.06;
  c.malformed = 0.04;
  return c;
}

}  // namespace clickagg::gen::testing
