// Binary search for kernel bodies (system/launch.h), on either device system.
#pragma once
#include "kernels/system/system.h"

namespace clickagg::CLICKAGG_DEVICE_NS::block {

// The first index of [lo, hi) at which `below` is false, `below` being true on a prefix of
// the range and false after it (std::partition_point over indexes).
template <class Index, class Below>
CLICKAGG_DEV Index partition_point(Index lo, Index hi, const Below& below) {
  while (lo < hi) {
    const Index mid = lo + (hi - lo) / 2;
    if (below(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS::block
