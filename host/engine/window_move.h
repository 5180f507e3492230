// How a running sum of a top-N window of several minutes (the CPU engine's SlidingSum, the GPU
// engine's DeviceSlidingSum) moves to the window [lo, e]: the minutes it must add and take off,
// or a restart when adding up the window anew is cheaper than taking off what it lost. One rule
// for both engines, so their sums hold the same minutes.
//
//   const WindowMove mv = plan_window_move(held, present, lo, e);
//   if (mv.restart) sum.clear();       // then add mv.add, take off nothing
//   sum.move(runs of mv.add, runs of mv.drop);
//   apply_window_move(mv, held);
#pragma once
#include <cstdint>
#include <set>
#include <span>
#include <vector>

namespace clickagg {

struct WindowMove {
  bool restart = false;        // empty the sum first; `drop` is then empty
  std::vector<int64_t> add;    // minutes to add in, ascending
  std::vector<int64_t> drop;   // minutes to take off, ascending
};

// `held`: the minutes the sum holds; `present`: the minutes in [lo, e] that hold counts,
// ascending.
WindowMove plan_window_move(const std::set<int64_t>& held, std::span<const int64_t> present, int64_t lo, int64_t e);
// The minutes held once the move is done.
void apply_window_move(const WindowMove& mv, std::set<int64_t>& held);

}  // namespace clickagg
