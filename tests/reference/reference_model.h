// A brute-force model of the aggregation semantics, written from the specification text
// alone. It shares no code with the engines, so a disagreement between the two is a bug in
// one of them (or an ambiguity in the text) and never a bug they have in common.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace clickagg::ref {

using Ip16 = std::array<uint8_t, 16>;  // IPv4 held IPv4-mapped (::ffff:a.b.c.d)

// Strict dotted-quad IPv4 or RFC 4291 IPv6 text (with "::" and a dotted-quad tail).
std::optional<Ip16> parse_ip(std::string_view text);

// An address block; IPv4 "a.b.c.d/n" is held as ::ffff:a.b.c.d/(96+n). A plain address is
// a full-length block.
struct RefCidr {
  Ip16 addr{};
  int prefix_len = 0;
};
std::optional<RefCidr> parse_cidr(std::string_view text);
bool cidr_contains(const RefCidr& block, const Ip16& ip);

struct RefEvent {
  uint32_t partition = 0;
  std::string ad_id;
  int64_t t_ms = 0;
  std::string user_id;
  Ip16 ip{};
  std::string country;  // already normalised (alpha-2, or an unknown code upper-cased)
  std::optional<std::string> click_id;
};

struct RefFilter {
  uint16_t id = 0;
  std::vector<std::string> countries;  // empty: any
  std::vector<RefCidr> ip_blocks;      // empty: any
  std::vector<std::string> user_ids;   // empty: any
  bool matches(const RefEvent& ev) const;
};

struct RefConfig {
  int64_t delay_ms = 15'000;
  int64_t lateness_ms = 600'000;
  uint32_t top_n = 100;
  std::vector<uint32_t> windows{1};
  std::vector<RefFilter> filters;
};

enum class Outcome { Counted, LateCounted, Duplicate, DroppedLate };

struct RefStats {
  uint64_t events_total = 0;
  uint64_t duplicates = 0;
  uint64_t dropped_late = 0;
  uint64_t counted = 0;
  uint64_t late_counted = 0;  // a subset of counted
  bool operator==(const RefStats&) const = default;
};

struct RefDropped {
  uint32_t partition = 0;
  std::string ad_id;
  int64_t t_ms = 0;
  int64_t watermark_ms = 0;  // W the event was judged against
};

// (minute, window size, filter id)
using TopKey = std::tuple<int64_t, uint32_t, uint16_t>;
using TopList = std::vector<std::pair<std::string, uint64_t>>;  // ranked (ad_id, count)

struct RefResult {
  // (minute, filter_id, ad_id) -> count, non-zero only; the map order is the counts.csv order.
  std::map<std::tuple<int64_t, uint16_t, std::string>, uint64_t> counts;
  // Every (minute, window, filter) from the first to the last minute with counted events,
  // including empty lists.
  std::map<TopKey, TopList> topn;
  RefStats stats;
  std::vector<Outcome> outcomes;  // one per input event, in input order
  std::vector<RefDropped> dropped;
  std::map<int64_t, uint64_t> late_counted_by_minute;
};

constexpr int64_t kNoWatermark = INT64_MIN;  // W before any event: -infinity

// Runs the events in the given order (the order they reach the engine, across partitions)
// and then closes everything, as at the end of batch input.
RefResult run_reference(const std::vector<RefEvent>& events, const RefConfig& config);

// floor(t_ms / 60000), also for times before 1970.
int64_t minute_of(int64_t t_ms);

}  // namespace clickagg::ref
