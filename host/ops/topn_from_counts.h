// Top-N lists ranked from per-minute counts, the way the engines rank them: for minute e,
// window M and filter f, the N ads with the largest sum over minutes e-M+1 .. e, ties by
// ad_id byte order, zero sums absent.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "host/engine/results.h"

namespace clickagg::ops {

// Minute -> every non-zero row of that minute.
using MinuteRows = std::map<int64_t, std::vector<NamedRow>>;

struct ListRequest {
  int64_t first_minute = 0;  // lists for e in [first_minute, end_minute)
  int64_t end_minute = 0;
  std::vector<uint32_t> windows;      // M
  std::vector<uint16_t> filter_ids;   // f, 0 included when wanted
  uint32_t top_n = 100;
  // Which (e, M) to produce; all when empty.
  std::function<bool(int64_t e, uint32_t window)> want;
};

// `counts` must hold every minute the requested windows cover that has counts; minutes
// absent from it count as zero. Lists come in (minute, window, filter) order, empty ones too.
std::vector<TopNList> lists_from_counts(const MinuteRows& counts, const ListRequest& req);

}  // namespace clickagg::ops
